/** `top`: the processes of a container are those in its PID 1's pid namespace (read from /proc). */
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { TopProcess } from '../api.js';

async function procInfo(pid: number): Promise<TopProcess | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const uid = /^Uid:\s+(\d+)/m.exec(status)?.[1] ?? '?';
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean).join(' ');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    return { uid, pid, ppid: Number(fields[1]), cmd: cmdline || `[${comm}]` };
  } catch {
    return undefined;
  }
}

export async function processesOf(pid1: number): Promise<TopProcess[]> {
  const ns = await readlink(`/proc/${pid1}/ns/pid`).catch(() => undefined);
  if (!ns) return [];
  const out: TopProcess[] = [];
  for (const d of await readdir('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const pid = Number(d);
    if ((await readlink(`/proc/${pid}/ns/pid`).catch(() => '')) !== ns) continue;
    const p = await procInfo(pid);
    if (p) out.push(p);
  }
  return out.sort((a, b) => a.pid - b.pid);
}
