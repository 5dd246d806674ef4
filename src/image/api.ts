/**
 * Contract between the image store (src/image) and its users (runtime, controller, CLI).
 * The store keeps content-addressed blobs and unpacked layers under `<TSCOMPOSE_ROOT>/images`.
 */

/** The parts of an OCI image config (`config` object) that containers use. */
export interface ImageRuntimeConfig {
  entrypoint?: string[];
  cmd?: string[];
  env: string[]; // "K=V"
  workingDir?: string;
  user?: string;
  exposedPorts: string[]; // "80/tcp"
  volumes: string[]; // container paths
  stopSignal?: string;
  labels: Record<string, string>;
  healthcheck?: { test: string[]; intervalNs?: number; timeoutNs?: number; startPeriodNs?: number; startIntervalNs?: number; retries?: number };
}

export interface LocalImage {
  /** sha256:... of the image config blob (Docker's image ID). */
  id: string;
  /** Canonical references that point at it ("docker.io/library/busybox:latest"). */
  references: string[];
  /** Manifest digest, when pulled from a registry. */
  manifestDigest?: string;
  /** Absolute paths of the unpacked layer directories, bottom (base) first. Read-only: overlay lowers. */
  layerDirs: string[];
  config: ImageRuntimeConfig;
  os: string;
  architecture: string;
  sizeBytes: number;
  created?: string;
}

/** Compose's pull_policy values; daily, weekly and every_<duration> pull when the local tag is older than that. */
export type PullPolicyName = 'always' | 'missing' | 'never' | 'build' | 'daily' | 'weekly' | `every_${string}`;

export interface PullProgress {
  ref: string;
  layer?: string;
  phase: 'resolving' | 'downloading' | 'verifying' | 'unpacking' | 'done' | 'exists';
  currentBytes?: number;
  totalBytes?: number;
}

export interface ImageStoreApi {
  /** A local image by reference or id, or undefined. */
  get(ref: string): Promise<LocalImage | undefined>;
  /** Make sure the image is local according to the policy (pull when needed); throws TscError('IMAGE'|'REGISTRY'). */
  ensure(ref: string, policy: PullPolicyName, onProgress?: (p: PullProgress) => void): Promise<LocalImage>;
  list(): Promise<LocalImage[]>;
}
