/** Fixtures for runtime tests: a minimal normalized Service and a LocalImage over given layer dirs. */
import type { Service } from '../../src/spec/model.js';
import type { ImageRuntimeConfig, LocalImage } from '../../src/image/api.js';

export function makeService(over: Partial<Service> = {}): Service {
  return {
    name: 'web',
    pullPolicy: 'missing',
    environment: {},
    labels: {},
    annotations: {},
    init: false,
    tty: false,
    stdinOpen: false,
    privileged: false,
    readOnly: false,
    capAdd: [],
    capDrop: [],
    securityOpt: [],
    groupAdd: [],
    stopGracePeriodMs: 10_000,
    ports: [],
    expose: [],
    volumes: [],
    volumesFrom: [],
    dependsOn: {},
    replicas: 1,
    restart: { condition: 'no' },
    resources: { blkioDeviceReadBps: [], blkioDeviceWriteBps: [], blkioDeviceReadIops: [], blkioDeviceWriteIops: [] },
    updateConfig: { parallelism: 1, delayMs: 0, order: 'stop-first', failureAction: 'pause', monitorMs: 0, maxFailureRatio: 0 },
    networkMode: { kind: 'none' },
    networks: {},
    extraHosts: [],
    dns: [],
    dnsSearch: [],
    dnsOpt: [],
    sysctls: {},
    ulimits: {},
    tmpfs: [],
    profiles: [],
    tscompose: { lb: 'round-robin' },
    extensions: {},
    ...over,
  };
}

export function makeImage(layerDirs: string[], config: Partial<ImageRuntimeConfig> = {}): LocalImage {
  return {
    id: 'sha256:' + '0'.repeat(64),
    references: ['test/busybox:latest'],
    layerDirs,
    config: { env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], exposedPorts: [], volumes: [], labels: {}, cmd: ['sh'], ...config },
    os: 'linux',
    architecture: 'amd64',
    sizeBytes: 0,
  };
}

/** A unique id for this test run: lower-case [a-z0-9-]. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
