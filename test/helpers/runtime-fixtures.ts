/** Fixtures for runtime tests: a minimal normalized Service and a LocalImage over given layer dirs. */
import type { Service } from '../../src/spec/model.js';
import type { ImageRuntimeConfig, LocalImage } from '../../src/image/api.js';
import { makeService as makeServiceNamed } from './service.js';

/** The controller tests' Service defaults, as the runtime tests want them: no image key, no network. */
export function makeService(over: Partial<Service> = {}): Service {
  const { image: _image, ...base } = makeServiceNamed('web', { networkMode: { kind: 'none' } });
  return { ...base, ...over };
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
