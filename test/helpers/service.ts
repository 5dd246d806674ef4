/** A complete normalized Service with defaults, for controller tests that need one without the spec loader. */
import type { Project, Service } from '../../src/spec/model.js';

export function makeService(name: string, over: Partial<Service> = {}): Service {
  return {
    name,
    image: 'busybox:latest',
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
    networkMode: { kind: 'bridge' },
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

export function makeProject(name: string, services: Service[], workingDir = '/tmp'): Project {
  return {
    name,
    workingDir,
    composeFiles: [],
    services: Object.fromEntries(services.map((s) => [s.name, s])),
    disabledServices: {},
    networks: {},
    volumes: {},
    profiles: [],
    activeProfiles: [],
    extensions: {},
  };
}
