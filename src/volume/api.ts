/**
 * Contract between the volume layer (src/volume) and its users (controller, CLI).
 *
 * Named volumes live under `<TSCOMPOSE_ROOT>/volumes/<name>/_data`, with their metadata in
 * `<TSCOMPOSE_ROOT>/volumes/<name>/volume.json` (written atomically). Like Docker's `local` driver:
 * a volume is created on first use, seeded from the image's content at the mount point while it is
 * empty (unless `nocopy`), kept by `down` and removed by `down -v` (project volumes only, never external).
 *
 * Anonymous volumes (`- /data` in a service, or an image `VOLUME` not covered by the service) get a
 * stable 64-hex name per (project, service, replica number, target), so a recreated or restarted
 * container gets its predecessor's anonymous volume back, as Compose does on recreate. They carry the
 * label `com.docker.volume.anonymous` and are removed by `down -v` with the project's named volumes;
 * `down` without -v calls `releaseAnonymousVolumes`, so the next `up` starts with fresh ones.
 */
import type { Project, Service, Volume } from '../spec/model.js';
import type { LocalImage } from '../image/api.js';
import type { ResolvedMount } from '../runtime/api.js';

/** Labels put on volumes, as Compose. */
export const LABEL_PROJECT = 'com.docker.compose.project';
export const LABEL_VOLUME = 'com.docker.compose.volume';
export const LABEL_ANONYMOUS = 'com.docker.volume.anonymous';
/** tscompose's own labels on anonymous volumes (which service/replica they belong to). */
export const LABEL_SERVICE = 'com.docker.compose.service';
export const LABEL_NUMBER = 'com.docker.compose.container-number';

/** What `volume inspect` prints (Docker's field names). */
export interface VolumeInfo {
  Name: string;
  Driver: 'local';
  /** Absolute host path of the volume's data directory (`.../volumes/<name>/_data`). */
  Mountpoint: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  Scope: 'local';
  /** RFC 3339 creation time. */
  CreatedAt: string;
}

export interface EnsuredVolume {
  /** Host-side volume name. */
  name: string;
  /** Absolute host path of the data directory: the bind source for containers. */
  path: string;
  /** true when this call created it. */
  created: boolean;
  /** Non-fatal remarks (e.g. the volume exists but belongs to another project), for the user. */
  warnings: string[];
}

export interface ResolveMountsRequest {
  project: Project;
  service: Service;
  /** Replica number (from 1): names the service's anonymous volumes. */
  number: number;
  image: LocalImage;
  /**
   * Mounts of another container, for `volumes_from: [container:NAME]`. `service:NAME` entries are
   * resolved from the project itself (that service's replica 1). Return undefined when unknown.
   * Default: the bind/volume mounts recorded in that container's bundle under `<root>/containers/`.
   */
  containerMounts?: (containerName: string) => Promise<ResolvedMount[] | undefined>;
}

export interface ResolvedMounts {
  /** In mount order (parents before children), one per target; what ContainerCreateRequest.mounts takes. */
  mounts: ResolvedMount[];
  /** Host-side names of every volume used (named and anonymous), for labels/bookkeeping. */
  volumes: string[];
  warnings: string[];
}

export interface VolumeManagerApi {
  /** Create (if missing) the named volume of project key `key`; external volumes must already exist (NOT_FOUND). */
  ensure(project: string, key: string, volume: Volume): Promise<EnsuredVolume>;
  /**
   * Everything a container of `service` mounts: named volumes (ensured and seeded), anonymous volumes
   * (service `- /path` and image VOLUMEs), binds (missing host path created as a folder when
   * createHostPath, else NOT_FOUND), tmpfs (from `volumes:` type tmpfs and from `tmpfs:`) with size/mode,
   * read-only flags, and `volumes_from`. Throws TscError (NOT_FOUND, SPEC_INVALID, STATE).
   */
  resolveMounts(req: ResolveMountsRequest): Promise<ResolvedMounts>;
  /**
   * Copy the image's content at `containerPath` (merged view of `image.layerDirs`, whiteouts respected,
   * owners/modes/times kept, symlinks copied as links and never followed) into `volumePath` if that
   * directory is empty. Returns true if it copied anything.
   */
  seedIfEmpty(volumePath: string, image: LocalImage, containerPath: string): Promise<boolean>;
  /** `volume create NAME`: create a volume not tied to a project (what `external: true` refers to). */
  create(name: string, opts?: { labels?: Record<string, string> }): Promise<VolumeInfo>;
  inspect(name: string): Promise<VolumeInfo | undefined>;
  list(filter?: { project?: string }): Promise<VolumeInfo[]>;
  /** Remove a volume and its data. NOT_FOUND if missing (unless force); CONFLICT if `inUse(name)` says so. */
  remove(name: string, opts?: { force?: boolean }): Promise<void>;
  /** `down -v`: remove the project's volumes (labelled with the project; never external ones). Returns the names removed. */
  removeProjectVolumes(project: string, opts?: { keep?: string[] }): Promise<string[]>;
  /** `down` without -v: detach the project's unused anonymous volumes from their slots (kept, renamed). */
  releaseAnonymousVolumes(project: string): Promise<string[]>;
  /**
   * `up -V`: detach the anonymous volumes of these services' replicas from their slots even while mounted
   * (the containers about to be recreated), so their successors get fresh, empty ones. Returns the new names.
   */
  renewAnonymousVolumes(project: string, services: readonly string[]): Promise<string[]>;
  /** `volume prune`: remove volumes no container mounts; anonymous ones only unless `all`. */
  prune(opts?: { all?: boolean }): Promise<{ removed: string[]; reclaimedBytes: number }>;
}

export interface VolumeManagerOptions {
  /** Default: env TSCOMPOSE_ROOT, else /var/lib/tscompose. */
  root?: string;
  /** Whether a volume is used by a container (consulted by `remove`); default: a container bundle under
   *  `<root>/containers/` mounts it. */
  inUse?: (name: string) => Promise<boolean>;
}
