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

export async function runConfig(
  opts: LoadOptions,
  selected: string[],
  flags: ConfigRunFlags,
  warn: (w: SpecWarning[]) => void,
): Promise<void> {
  const { project, warnings } = await loadProject(opts);
  warn(warnings);
  if (selected.length > 0) {
    const keep = withDependencies(project, selected);
    for (const name of Object.keys(project.services)) if (!keep.has(name)) delete project.services[name];
  }
  if (flags.quiet) return;
  const sorted = (o: Record<string, unknown>): string[] => Object.keys(o).sort();
  let out: string;
  if (flags.services) out = lines(sorted(project.services));
  else if (flags.volumes) out = lines(sorted(project.volumes));
  else if (flags.networks) out = lines(sorted(project.networks));
  else if (flags.profiles) out = lines(project.profiles);
  else if (flags.images) {
    out = lines(sorted(project.services).map((n) => project.services[n]?.image ?? `${project.name}-${n}`));
  } else {
    const { renderProject } = await import('../../spec/render.js');
    const rendered = renderProject(project);
    if (flags.format === 'json') out = `${JSON.stringify(rendered, null, 2)}\n`;
    else {
      const yaml = (await import('js-yaml')).default;
      out = yaml.dump(rendered, { lineWidth: -1, noRefs: true, quotingType: '"' });
    }
  }
  if (flags.output) writeFileSync(flags.output, out);
  else process.stdout.write(out);
}
