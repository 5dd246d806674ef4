/** The `volume` verbs' work, loaded only when one runs. Output formats follow `docker volume`. */
import { TscError } from '../../errors.js';
import { VolumeManager } from '../../volume/manager.js';
import type { VolumeInfo } from '../../volume/api.js';
import { humanSize } from '../human-size.js';

const out = (s: string): void => {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
};

export { humanSize } from '../human-size.js';
export { renderTemplate } from '../go-template.js';
import { renderTemplate } from '../go-template.js';

function labelString(labels: Record<string, string>): string {
  return Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** Docker's `inspect` object: keys in its order. */
function inspectObject(v: VolumeInfo): Record<string, unknown> {
  return { CreatedAt: v.CreatedAt, Driver: v.Driver, Labels: v.Labels, Mountpoint: v.Mountpoint, Name: v.Name, Options: Object.keys(v.Options).length > 0 ? v.Options : null, Scope: v.Scope };
}

/** `docker volume ls --format json` row: strings only. */
function lsObject(v: VolumeInfo): Record<string, string> {
  return { Availability: 'N/A', CreatedAt: v.CreatedAt, Driver: v.Driver, Group: 'N/A', Labels: labelString(v.Labels), Links: 'N/A', Mountpoint: v.Mountpoint, Name: v.Name, Scope: v.Scope, Size: 'N/A', Status: 'N/A' };
}

function matches(v: VolumeInfo, filters: string[], used: Set<string>): boolean {
  for (const f of filters) {
    const eq = f.indexOf('=');
    if (eq < 0) throw new TscError('USAGE', `bad format of filter (expected name=value): ${f}`);
    const key = f.slice(0, eq);
    const value = f.slice(eq + 1);
    if (key === 'name') {
      if (!v.Name.includes(value)) return false;
    } else if (key === 'dangling') {
      if (value !== 'true' && value !== 'false' && value !== '1' && value !== '0') throw new TscError('USAGE', `invalid filter 'dangling=${value}'`);
      if ((value === 'true' || value === '1') === used.has(v.Name)) return false;
    } else if (key === 'driver') {
      if (v.Driver !== value) return false;
    } else if (key === 'label') {
      const i = value.indexOf('=');
      const lk = i < 0 ? value : value.slice(0, i);
      if (!(lk in v.Labels)) return false;
      if (i >= 0 && v.Labels[lk] !== value.slice(i + 1)) return false;
    } else {
      throw new TscError('USAGE', `invalid filter '${key}'`);
    }
  }
  return true;
}

export async function volumeLs(flags: { format: string; quiet?: boolean; filter: string[] }): Promise<void> {
  const mgr = new VolumeManager();
  const used = flags.filter.some((f) => f.startsWith('dangling=')) ? await mgr.usedVolumes() : new Set<string>();
  const vols = (await mgr.list()).filter((v) => matches(v, flags.filter, used));
  if (flags.quiet) {
    for (const v of vols) out(v.Name);
    return;
  }
  if (flags.format === 'json') {
    for (const v of vols) out(JSON.stringify(lsObject(v)));
    return;
  }
  if (flags.format !== 'table' && flags.format !== '') {
    for (const v of vols) out(renderTemplate(flags.format, lsObject(v)));
    return;
  }
  out('DRIVER    VOLUME NAME');
  for (const v of vols) out(`${v.Driver.padEnd(10)}${v.Name}`);
}

function parseLabels(list: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const l of list) {
    const i = l.indexOf('=');
    if (i === 0) throw new TscError('USAGE', `invalid label "${l}"`);
    if (i < 0) labels[l] = '';
    else labels[l.slice(0, i)] = l.slice(i + 1);
  }
  return labels;
}

export async function volumeCreate(name: string, flags: { label: string[]; driver: string }): Promise<void> {
  if (flags.driver !== 'local') throw new TscError('USAGE', `volume driver "${flags.driver}" is not supported (only "local")`);
  const v = await new VolumeManager().create(name, { labels: parseLabels(flags.label) });
  out(v.Name);
}

export async function volumeInspect(names: string[], flags: { format?: string }): Promise<void> {
  const mgr = new VolumeManager();
  const found: VolumeInfo[] = [];
  const missing: string[] = [];
  for (const n of names) {
    const v = await mgr.inspect(n);
    if (v) found.push(v);
    else missing.push(n);
  }
  if (flags.format !== undefined) {
    for (const v of found) out(renderTemplate(flags.format, inspectObject(v)));
  } else {
    out(JSON.stringify(found.map(inspectObject), null, 4)); // `[]` when none was found, as docker
  }
  if (missing.length > 0) {
    throw new TscError('NOT_FOUND', missing.map((n) => `Error: No such volume: ${n}`).join('\n'));
  }
}

export async function volumeRm(names: string[], flags: { force?: boolean }): Promise<void> {
  const mgr = new VolumeManager();
  const errors: string[] = [];
  for (const n of names) {
    try {
      await mgr.remove(n, { force: flags.force === true });
      out(n);
    } catch (e) {
      if (e instanceof TscError) errors.push(e.code === 'NOT_FOUND' ? `Error: No such volume: ${n}` : `Error response from daemon: ${e.message}`);
      else throw e;
    }
  }
  if (errors.length > 0) {
    const first = errors[0] as string;
    throw new TscError(errors.some((e) => e.includes('in use')) ? 'CONFLICT' : 'NOT_FOUND', first, { details: errors.slice(1) });
  }
}

export async function volumePrune(flags: { all?: boolean }): Promise<void> {
  const { removed, reclaimedBytes } = await new VolumeManager().prune({ all: flags.all === true });
  if (removed.length > 0) out(`Deleted Volumes:\n${removed.join('\n')}\n\n`);
  out(`Total reclaimed space: ${humanSize(reclaimedBytes)}`);
}
