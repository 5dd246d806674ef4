/**
 * `events [--json] [--since T] [--until T] [SERVICE...]`: container events of the project, as they happen.
 * T as for `logs` (RFC 3339, a Unix timestamp, or a Go duration before now). --since replays what the
 * project's supervisor still holds (its last 256 events, since it started); --until ends the stream then.
 */
import type { Command } from 'commander';
import type { ContainerEvent } from '../../api.js';

/** Compose's text form: `2015-11-20 18:01:03.615550 container create ID (k=v, k=v)`. */
export function eventText(e: ContainerEvent): string {
  const t = new Date(e.time);
  const two = (n: number): string => String(n).padStart(2, '0');
  const when = Number.isFinite(t.getTime())
    ? `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())} ${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}.${String(t.getMilliseconds() * 1000).padStart(6, '0')}`
    : e.time;
  const attrs = Object.entries(e.attributes).map(([k, v]) => `${k}=${v}`).join(', ');
  return `${when} container ${e.action} ${e.id} (${attrs})\n`;
}

export function registerEvents(program: Command): void {
  program.command('events').description('Receive real time events from containers').argument('[service...]')
    .option('--json', 'output events as a stream of json objects')
    .option('--since <time>', 'show the events since this time (RFC 3339, Unix timestamp, or a duration before now such as 10m)')
    .option('--until <time>', 'stream the events until this time, then exit')
    .action(async (services: string[], flags: { json?: boolean; since?: string; until?: string }, cmd: Command) => {
      const [{ createEngine }, ref, lp, { TscError }] = await Promise.all([import('../../engine/index.js'), import('../project-ref.js'), import('../log-printer.js'), import('../../errors.js')]);
      const time = (name: string, v: string | undefined): string | undefined => {
        if (v === undefined) return undefined;
        const t = lp.parseSince(v);
        if (t === undefined) throw new TscError('USAGE', `invalid --${name} "${v}"`);
        return new Date(t).toISOString();
      };
      const span = { ...(flags.since !== undefined ? { since: time('since', flags.since) } : {}), ...(flags.until !== undefined ? { until: time('until', flags.until) } : {}) };
      await ref.checkServices(cmd, services);
      // the file, when there is one, names each service's image (Compose's events carry it)
      const p = await ref.projectRef(cmd).catch(() => ref.projectRef(cmd, true));
      const imageOf = (service: string): string | undefined => p.project?.services[service]?.image;
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      process.once('SIGTERM', () => ac.abort());
      await createEngine().events(p.name, (e) => {
        if (services.length && !services.includes(e.service)) return;
        const image = e.attributes.image ?? imageOf(e.service);
        if (image !== undefined) e = { ...e, attributes: { ...e.attributes, image } };
        if (flags.json) process.stdout.write(`${JSON.stringify(e)}\n`);
        else {
          process.stdout.write(eventText(e));
        }
      }, ac.signal, span);
    });
}
