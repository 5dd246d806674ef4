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
  quiet?: boolean;
  output?: string;
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

export async function runConfig(
  opts: LoadOptions,
  selected: string[],
  flags: ConfigRunFlags,
  warn: (w: SpecWarning[]) => void,
): Promise<void> {
  const { project, warnings } = await loadProject(opts);
  warn(warnings);
  selectServices(project, selected);
  if (flags.quiet) return;
  const out = await formatConfig(project, flags);
  if (flags.output) writeFileSync(flags.output, out);
  else process.stdout.write(out);
}
