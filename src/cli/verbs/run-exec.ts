/**
 * The body of `tscompose run`: load the project, apply the one-off overrides to the service (as
 * `docker compose run`: no restart policy, ports only with --service-ports, -e/-w/-u/--entrypoint),
 * ensure the image, resolve mounts, attach the network (when the network layer is enabled), then run
 * in the foreground with stdio attached (exit status = the container's) or detached (prints the name).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { TscError } from '../../errors.js';
import { loadProject, type LoadOptions } from '../../spec/index.js';
import type { Project, Service, SpecWarning } from '../../spec/model.js';
import { splitShellWords } from '../../spec/parse-shell.js';
import type { ContainerCreateRequest, ResolvedMount } from '../../runtime/api.js';
import type { NetworkManager } from '../../network/api.js';
import { defaultPaths } from '../../state/paths.js';
import { L_COMMAND, L_FILES, L_IMAGE, L_IMAGE_REF, L_NUMBER, L_ONEOFF, L_PORTS, L_PROJECT, L_SERVICE, L_VERSION, L_WORKDIR, newContainerId } from '../../supervisor/labels.js';
import type { LocalImage } from '../../image/api.js';
import { applyEnv, type RunArgs } from './run-args.js';

export function oneOffService(svc: Service, a: RunArgs, env: Record<string, string | undefined>): Service {
  const s: Service = { ...svc, environment: applyEnv(svc.environment, a.env, env), restart: { condition: 'no' } };
  if (!a.servicePorts) s.ports = [];
  if (a.entrypoint !== undefined) {
    const p = splitShellWords(a.entrypoint);
    if (p.error !== undefined) throw new TscError('USAGE', `run: --entrypoint: ${p.error}`);
    s.entrypoint = p.value;
  }
  if (a.workdir !== undefined) s.workingDir = a.workdir;
  if (a.user !== undefined) s.user = a.user;
  return s;
}

function oneOffName(project: Project, service: string, a: RunArgs): string {
  return a.name ?? `${project.name}-${service}-run-${randomBytes(6).toString('hex')}`;
}

export async function runOneOff(load: LoadOptions, a: RunArgs, warn: (w: SpecWarning[]) => void): Promise<number> {
  const { project, warnings } = await loadProject(load);
  warn(warnings);
  const base = project.services[a.service];
  if (!base) throw new TscError('NOT_FOUND', `no such service: ${a.service}`);
  const svc = oneOffService(base, a, process.env);
  const paths = defaultPaths();
  const deps = Object.keys(svc.dependsOn).filter((d) => project.services[d] !== undefined);
  if (!a.noDeps && deps.length > 0) await startDependencies(project, svc, deps, paths);
  const [{ NativeRuntime }, { ImageStore }, { VolumeManager }] = await Promise.all([
    import('../../runtime/native-runtime.js'),
    import('../../image/store.js'),
    import('../../volume/index.js'),
  ]);
  const runtime = new NativeRuntime({ root: paths.root, runtimeRoot: join(paths.runDir, 'runtime') });
  const ref = svc.image ?? `${project.name}-${svc.name}`;
  const image = await new ImageStore({ root: paths.root }).ensure(ref, svc.pullPolicy === 'build' ? 'missing' : svc.pullPolicy);
  const mounts: ResolvedMount[] = (await new VolumeManager({ root: paths.root }).resolveMounts({ project, service: svc, number: 1, image })).mounts;

  const name = oneOffName(project, a.service, a);
  const id = newContainerId(name);
  let network: NetworkManager | undefined;
  const req: ContainerCreateRequest = {
    id,
    name,
    project: project.name,
    service: svc.name,
    number: 1,
    spec: svc,
    image,
    mounts,
    labels: { ...svc.labels, ...labelsOf(a.labels), ...psLabels(project, svc, a, ref, image), [L_PROJECT]: project.name, [L_SERVICE]: svc.name, [L_NUMBER]: '1', [L_ONEOFF]: 'True' },
    tty: a.tty || (!a.noTty && !a.detach && process.stdin.isTTY === true && process.stdout.isTTY === true),
  };
  if (a.command.length > 0) req.commandOverride = a.command;
  if (svc.networkMode.kind === 'host') req.netns = 'host';
  else if (svc.networkMode.kind !== 'none' && process.env.TSCOMPOSE_NETWORK !== 'none') {
    const { LocalNetworkManager } = await import('../../network/index.js');
    network = new LocalNetworkManager({ root: paths.root, runDir: join(paths.runDir, 'net') });
    const at = await network.attach({ project, containerId: id, containerName: name, service: svc.name, number: 1 });
    if (at.netns !== undefined) req.netns = at.netns;
    if (at.hostsFile !== undefined) req.hostsFile = at.hostsFile;
    if (at.resolvConf !== undefined) req.resolvConf = at.resolvConf;
  }
  const cleanup = async (): Promise<void> => {
    await runtime.remove(id, { force: true }).catch(() => undefined);
    await network?.detach(id).catch(() => undefined);
  };
  try {
    if (a.detach) {
      await runtime.create(req);
      await runtime.start(id);
      process.stdout.write(`${name}\n`);
      return 0;
    }
    let child: number | undefined;
    const forward = (sig: NodeJS.Signals): void => {
      if (child !== undefined) process.kill(child, sig);
    };
    const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
    for (const s of sigs) process.on(s, forward);
    try {
      // --rm: the writable layer is thrown away, so the overlay skips its syncs (native/README.md)
      const exit = await runtime.runAttached(req, { onSpawn: (pid) => (child = pid), volatileRootfs: a.rm });
      return exit.exitCode;
    } finally {
      for (const s of sigs) process.off(s, forward);
      if (a.rm) await cleanup();
    }
  } catch (e) {
    if (a.detach || a.rm) await cleanup();
    throw e;
  } finally {
    await network?.close().catch(() => undefined);
  }
}

/** As `docker compose run`: bring the dependencies up (through the project's supervisor) first. */
async function startDependencies(project: Project, svc: Service, deps: string[], paths: ReturnType<typeof defaultPaths>): Promise<void> {
  const { createEngine } = await import('../../engine/index.js');
  const healthy = deps.some((d) => svc.dependsOn[d]?.condition === 'service_healthy');
  await createEngine(paths).up(
    project,
    { services: deps, scale: {}, noStart: false, forceRecreate: false, noRecreate: false, removeOrphans: false, wait: healthy },
    () => undefined,
  );
}

/** The labels `ps` shows a container by (image, command, ports), and the project's, as a service container's. */
function psLabels(project: Project, svc: Service, a: RunArgs, ref: string, image: LocalImage): Record<string, string> {
  const cmd = a.command.length > 0 ? a.command : (svc.command ?? image.config.cmd ?? []);
  return {
    [L_IMAGE]: image.id,
    [L_IMAGE_REF]: ref,
    [L_WORKDIR]: project.workingDir,
    [L_FILES]: project.composeFiles.join(','),
    [L_VERSION]: '2.0.0-tscompose',
    [L_COMMAND]: JSON.stringify([...(svc.entrypoint ?? image.config.entrypoint ?? []), ...cmd]),
    [L_PORTS]: svc.ports.filter((p) => p.published !== undefined).map((p) => `${p.hostIp ?? '0.0.0.0'}:${p.published ?? 0}->${p.target}/${p.protocol}`).join(','),
  };
}

function labelsOf(entries: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of entries) {
    const i = e.indexOf('=');
    if (i > 0) out[e.slice(0, i)] = e.slice(i + 1);
    else if (e) out[e] = '';
  }
  return out;
}
