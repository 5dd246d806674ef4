/**
 * The supervisor's collaborators, built once per process: the native runtime, the image store, the
 * network manager (bridges, LB, DNS) and the volume manager. `TSCOMPOSE_NETWORK=none` runs without the
 * network layer (every container gets its own empty network namespace).
 */
import { join } from 'node:path';
import type { Paths } from '../state/paths.js';
import type { EngineDeps } from './containers.js';

export async function createDeps(paths: Paths, log: (m: string) => void, env = process.env): Promise<EngineDeps> {
  const [{ NativeRuntime }, { ImageStore }, { VolumeManager }] = await Promise.all([
    import('../runtime/native-runtime.js'),
    import('../image/store.js'),
    import('../volume/index.js'),
  ]);
  const runtime = new NativeRuntime({ root: paths.root, runtimeRoot: join(paths.runDir, 'runtime') });
  const deps: EngineDeps = {
    runtime,
    images: new ImageStore({ root: paths.root }),
    volumes: new VolumeManager({ root: paths.root }),
    log,
  };
  if (env.TSCOMPOSE_NETWORK !== 'none') {
    const { LocalNetworkManager } = await import('../network/index.js');
    deps.network = new LocalNetworkManager({ root: paths.root, runDir: join(paths.runDir, 'net') });
  }
  return deps;
}

/** The runtime alone, for read-only verbs run by the CLI itself (ps, logs, top, exec). */
export async function createRuntime(paths: Paths): Promise<EngineDeps['runtime']> {
  const { NativeRuntime } = await import('../runtime/native-runtime.js');
  return new NativeRuntime({ root: paths.root, runtimeRoot: join(paths.runDir, 'runtime') });
}
