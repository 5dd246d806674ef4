/**
 * `top`: the processes of a container are those in its PID 1's pid namespace (read from /proc), with the
 * columns of `ps -ef` that `docker compose top` shows (UID PID PPID C STIME TTY TIME CMD). As with Docker,
 * whose `top` runs ps on the host, user names come from the host's /etc/passwd.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { TopProcess } from '../api.js';

const CLK_TCK = 100; // USER_HZ: 100 on every Linux architecture we run on

interface Host { bootMs: number; users: Map<string, string>; now: number }

async function host(): Promise<Host> {
  const stat = await readFile('/proc/stat', 'utf8').catch(() => '');
  const btime = Number(/^btime (\d+)/m.exec(stat)?.[1] ?? 0);
  const users = new Map<string, string>();
  for (const l of (await readFile('/etc/passwd', 'utf8').catch(() => '')).split('\n')) {
    const f = l.split(':');
    if (f.length > 2 && f[0] && f[2] && !users.has(f[2])) users.set(f[2], f[0]);
  }
  return { bootMs: btime * 1000, users, now: Date.now() };
}

const two = (n: number): string => String(n).padStart(2, '0');

/** ps's TIME: [DD-]HH:MM:SS of CPU time. */
export function cpuTime(ticks: number): string {
  const s = Math.floor(ticks / CLK_TCK);
  const d = Math.floor(s / 86400);
  return `${d > 0 ? `${d}-` : ''}${two(Math.floor((s % 86400) / 3600))}:${two(Math.floor((s % 3600) / 60))}:${two(s % 60)}`;
}

/** ps's STIME: HH:MM when started today, else MonDD. */
export function startTime(startMs: number, nowMs: number): string {
  const t = new Date(startMs);
  if (new Date(nowMs).toDateString() === t.toDateString()) return `${two(t.getHours())}:${two(t.getMinutes())}`;
  return `${t.toLocaleString('en-US', { month: 'short' })}${two(t.getDate())}`;
}

/** ps's TTY from stat's tty_nr: pts/N, ttyN or "?". */
export function ttyName(ttyNr: number): string {
  if (ttyNr === 0) return '?';
  const major = (ttyNr >> 8) & 0xfff;
  const minor = (ttyNr & 0xff) | ((ttyNr >> 12) & 0xfff00);
  if (major >= 136 && major <= 143) return `pts/${minor + (major - 136) * 256}`;
  if (major === 4) return `tty${minor}`;
  return '?';
}

async function procInfo(pid: number, h: Host): Promise<TopProcess | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1] ?? '?';
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean).join(' ');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const ticks = Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
    const startMs = h.bootMs + (Number(fields[19] ?? 0) / CLK_TCK) * 1000;
    const ranS = Math.max(1, (h.now - startMs) / 1000);
    return {
      uid, pid, ppid: Number(fields[1]), cmd: cmdline || `[${comm}]`,
      user: h.users.get(uid) ?? uid,
      c: Math.min(99, Math.floor((ticks / CLK_TCK / ranS) * 100)),
      stime: startTime(startMs, h.now),
      tty: ttyName(Number(fields[4] ?? 0)),
      time: cpuTime(ticks),
    };
  } catch {
    return undefined;
  }
}

export async function processesOf(pid1: number): Promise<TopProcess[]> {
  const ns = await readlink(`/proc/${pid1}/ns/pid`).catch(() => undefined);
  if (!ns) return [];
  const h = await host();
  const out: TopProcess[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    if ((await readlink(`/proc/${pid}/ns/pid`).catch(() => '')) !== ns) continue;
    const p = await procInfo(pid, h);
    if (p) out.push(p);
  }
  return out.sort((a, b) => a.pid - b.pid);
}
