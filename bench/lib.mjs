// Shared helpers for benchmarks: timing, statistics and one table format (median/min/max/n).
import { performance } from 'node:perf_hooks';
import { spawnSync } from 'node:child_process';

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const median = n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { median, min: s[0], max: s[n - 1], n };
}

export async function timeIt(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function sample(n, fn, { warmup = 2 } = {}) {
  for (let i = 0; i < warmup; i++) await fn(-1);
  const out = [];
  for (let i = 0; i < n; i++) out.push(await timeIt(() => fn(i)));
  return out;
}

export function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const fmt = (v) => (typeof v === 'number' ? (Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : '-') : String(v ?? ''));

/** rows: [{name, median, min, max, n, unit?, note?}] */
export function printTable(title, rows) {
  console.log(`\n## ${title}`);
  console.log('| what | median | min | max | n | unit | note |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.name} | ${fmt(r.median)} | ${fmt(r.min)} | ${fmt(r.max)} | ${r.n ?? ''} | ${r.unit ?? 'ms'} | ${r.note ?? ''} |`);
}

export function row(name, samples, extra = {}) {
  return { name, ...stats(samples), ...extra };
}
