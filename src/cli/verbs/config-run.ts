/** The body of `tscompose config`, imported only when the verb runs (keeps the CLI's cold start small). */
import { writeFileSync } from 'node:fs';
import { TscError } from '../../errors.js';
import { loadProject, type LoadOptions } from '../../spec/index.js';
import type { Project, SpecWarning } from '../../spec/model.js';

export interface ConfigRunFlags {
  format: string;
  services?: boolean;
  volumes?: boolean;
  networks?: boolean;
  profiles?: boolean;
  images?: boolean;
  /** "*" or a comma-separated list of services */
  hash?: string;
  variables?: boolean;
  environment?: boolean;
  quiet?: boolean;
  output?: string;
  /** true when --format was given (--variables prints a table otherwise) */
  formatGiven?: boolean;
  /** false with --no-interpolate: the output then keeps `$` as written */
  interpolate?: boolean;
}

/** The named services plus everything they depend on, transitively. */
function withDependencies(project: Project, names: string[]): Set<string> {
  const out = new Set<string>();
  const visit = (n: string): void => {
    if (out.has(n)) return;
    const svc = project.services[n];
    if (!svc) throw new TscError('NOT_FOUND', `no such service: ${n}`);
    out.add(n);
    for (const dep of Object.keys(svc.dependsOn)) if (project.services[dep]) visit(dep);
  };
  names.forEach(visit);
  return out;
}

function lines(items: Iterable<string>): string {
  const list = [...items];
  return list.length === 0 ? '' : `${list.join('\n')}\n`;
}

/** Service names as `docker compose config --services` lists them: sorted, each after its dependencies. */
export function servicesInDependencyOrder(project: Project): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name) || !project.services[name]) return;
    seen.add(name);
    for (const dep of Object.keys(project.services[name]!.dependsOn).sort()) visit(dep);
    out.push(name);
  };
  for (const name of Object.keys(project.services).sort()) visit(name);
  return out;
}

/** What `config` prints for a loaded project (selection already applied). */
export async function formatConfig(project: Project, flags: ConfigRunFlags): Promise<string> {
  const sorted = (o: Record<string, unknown>): string[] => Object.keys(o).sort();
  if (flags.services) return lines(servicesInDependencyOrder(project));
  if (flags.volumes) return lines(sorted(project.volumes));
  if (flags.networks) return lines(sorted(project.networks));
  if (flags.profiles) return lines(project.profiles);
  if (flags.images) return lines(sorted(project.services).map((n) => project.services[n]?.image ?? `${project.name}-${n}`));
  const { renderProject } = await import('../../spec/render.js');
  const rendered = renderProject(project);
  let text: string;
  if (flags.format === 'json') text = `${JSON.stringify(rendered, null, 2)}\n`;
  else text = (await import('js-yaml')).default.dump(rendered, { lineWidth: -1, noRefs: true, quotingType: '"' });
  // as docker compose: a literal `$` of the resolved model prints as `$$`, so the output loads again unchanged
  return flags.interpolate === false ? text : text.replaceAll('$', () => '$$');
}

/** Keeps only the named services and what they depend on. */
export function selectServices(project: Project, selected: string[]): void {
  if (selected.length === 0) return;
  const keep = withDependencies(project, selected);
  for (const name of Object.keys(project.services)) if (!keep.has(name)) delete project.services[name];
}

/** `--hash`: "name hash" per line, sorted, with the hash the supervisor labels containers with. */
export async function formatHashes(project: Project, which: string): Promise<string> {
  const { configHash } = await import('../../controller/hash.js');
  const names = which === '*' ? Object.keys(project.services) : which.split(',').map((n) => n.trim()).filter((n) => n !== '');
  return lines(
    [...new Set(names)].sort().map((n) => {
      const svc = project.services[n];
      if (!svc) throw new TscError('NOT_FOUND', `no such service: ${n}`);
      return `${n} ${configHash(svc)}`;
    }),
  );
}

/** `--variables`: the variables the files use (before interpolation), as a table like docker compose's. */
export async function formatVariables(opts: LoadOptions, format: string | undefined): Promise<string> {
  const [{ loadMerged }, { extractVariables }] = await Promise.all([import('../../spec/load.js'), import('../../spec/variables.js')]);
  const vars = extractVariables(loadMerged({ ...opts, interpolate: false }).doc.data);
  if (format === 'json' || format === 'yaml') {
    const byName = Object.fromEntries(vars.map((v) => [v.name, { name: v.name, defaultValue: v.defaultValue || undefined, alternateValue: v.alternateValue || undefined, required: v.required }]));
    if (format === 'json') return `${JSON.stringify(byName, null, 2)}\n`;
    return (await import('js-yaml')).default.dump(byName, { lineWidth: -1 });
  }
  const rows = [['NAME', 'REQUIRED', 'DEFAULT VALUE', 'ALTERNATE VALUE'], ...vars.map((v) => [v.name, String(v.required), v.defaultValue, v.alternateValue])];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return lines(rows.map((r) => r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]! + 3))).join('').trimEnd()));
}

/** `--environment`: the interpolation environment (process environment over .env / --env-file), KEY=VALUE sorted. */
export async function formatEnvironment(opts: LoadOptions): Promise<string> {
  const { loadMerged } = await import('../../spec/load.js');
  const env = loadMerged(opts).ctx.env;
  return lines(Object.keys(env).sort().filter((k) => env[k] !== undefined).map((k) => `${k}=${env[k]}`));
}

/**
 * With --no-interpolate a `${VAR}` may stand where normalize needs a number, a size or a port: then, as
 * docker compose prints the unresolved model, the merged file is printed as written (name first).
 */
async function loadOrRaw(opts: LoadOptions, flags: ConfigRunFlags): Promise<Awaited<ReturnType<typeof loadProject>> | string> {
  try {
    return await loadProject(opts);
  } catch (e) {
    if (opts.interpolate !== false || !(e instanceof TscError) || e.code !== 'SPEC_INVALID') throw e;
    const [{ loadMerged }, { stripTags }] = await Promise.all([import('../../spec/load.js'), import('../../spec/merge.js')]);
    const { doc, ctx } = loadMerged(opts);
    const data = stripTags(doc.data) as Record<string, unknown>;
    const raw = { name: ctx.projectName, ...data };
    if (flags.format === 'json') return `${JSON.stringify(raw, null, 2)}\n`;
    return (await import('js-yaml')).default.dump(raw, { lineWidth: -1, noRefs: true, quotingType: '"' });
  }
}

export async function runConfig(
  opts: LoadOptions,
  selected: string[],
  flags: ConfigRunFlags,
  warn: (w: SpecWarning[]) => void,
): Promise<void> {
  let out: string;
  const listing = flags.services || flags.volumes || flags.networks || flags.profiles || flags.images || flags.hash !== undefined;
  if (flags.variables && !listing) out = await formatVariables(opts, flags.formatGiven ? flags.format : undefined);
  else if (flags.environment && !listing) out = await formatEnvironment(opts);
  else {
    const loaded = await loadOrRaw(opts, flags);
    if (typeof loaded === 'string') {
      if (flags.quiet) return;
      out = loaded;
      if (flags.output) writeFileSync(flags.output, out);
      else process.stdout.write(out);
      return;
    }
    const { project, warnings } = loaded;
    warn(warnings);
    selectServices(project, selected);
    if (flags.quiet) return;
    out = flags.hash !== undefined && !flags.services && !flags.volumes ? await formatHashes(project, flags.hash) : await formatConfig(project, flags);
  }
  if (flags.quiet) return;
  // as docker compose: -o writes only when there is something to write
  if (flags.output) {
    if (out !== '') writeFileSync(flags.output, out);
  } else process.stdout.write(out);
}
