/**
 * The merged, interpolated, validated document -> the typed Project (src/spec/model.ts). Pure and
 * synchronous: no I/O; relative paths resolve against ctx.workingDir, "~" against ctx.env.HOME, and
 * `FOO` without a value in `environment` takes ctx.env.FOO (left out if unset).
 *
 * Profiles as Compose: a service without `profiles` is always enabled; one with profiles is enabled when one
 * of them is active ("*" activates all). Disabled services go to `disabledServices` and must not be required
 * by an enabled one.
 */
import type { Network, Project, Service, Volume } from './model.js';
import type { SourceDoc, SpecProblem } from './source.js';
import { addImplicitDependencies, checkProject } from './normalize-checks.js';
import { normalizeService, type ServiceContext } from './normalize-service.js';
import { defaultNetwork, normalizeNetwork, normalizeVolume } from './normalize-toplevel.js';
import { extensionsOf, rawAt, stringList, Problems } from './normalize-util.js';

export interface NormalizeContext {
  projectName: string;
  workingDir: string;
  composeFiles: string[];
  env: Record<string, string | undefined>;
  activeProfiles: string[];
}

function isEnabled(svc: Service, active: readonly string[]): boolean {
  return svc.profiles.length === 0 || active.includes('*') || svc.profiles.some((x) => active.includes(x));
}

export function normalizeProject(doc: SourceDoc, ctx: NormalizeContext): { project: Project; problems: SpecProblem[] } {
  const p = new Problems(doc);
  const root = rawAt(doc.data);
  const sctx: ServiceContext = {
    projectName: ctx.projectName,
    workingDir: ctx.workingDir,
    home: ctx.env['HOME'],
    env: ctx.env,
  };
  const services: Record<string, Service> = {};
  const disabledServices: Record<string, Service> = {};
  const all: Record<string, Service> = {};
  const links: Record<string, string[]> = {};
  for (const [name, raw] of Object.entries(rawAt(root['services']))) {
    const svc = normalizeService(name, raw, ['services', name], p, sctx);
    links[name] = stringList(rawAt(raw)['links']);
    all[name] = svc;
    (isEnabled(svc, ctx.activeProfiles) ? services : disabledServices)[name] = svc;
  }
  addImplicitDependencies(all, links);

  const networks: Record<string, Network> = {};
  for (const [key, raw] of Object.entries(rawAt(root['networks']))) {
    networks[key] = normalizeNetwork(key, raw, ctx.projectName, ['networks', key], p);
  }
  const volumes: Record<string, Volume> = {};
  for (const [key, raw] of Object.entries(rawAt(root['volumes']))) {
    volumes[key] = normalizeVolume(key, raw, ctx.projectName, ['volumes', key], p);
  }
  checkProject({ enabled: services, disabled: disabledServices, networks: new Set(Object.keys(networks)), volumes: new Set(Object.keys(volumes)) }, p);
  if (!networks['default'] && Object.values(services).some((s) => 'default' in s.networks)) {
    networks['default'] = defaultNetwork(ctx.projectName);
  }

  const profiles = [...new Set(Object.values(all).flatMap((s) => s.profiles))].sort();
  const project: Project = {
    name: ctx.projectName,
    workingDir: ctx.workingDir,
    composeFiles: ctx.composeFiles,
    services,
    disabledServices,
    networks,
    volumes,
    profiles,
    activeProfiles: ctx.activeProfiles,
    extensions: extensionsOf(root),
  };
  return { project, problems: p.list };
}
