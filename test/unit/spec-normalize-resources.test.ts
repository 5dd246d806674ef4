import { describe, expect, it } from 'vitest';
import { FILE, load, service, serviceErrors } from './spec-normalize-helpers.js';

const MiB = 1024 * 1024;

describe('resources', () => {
  it('legacy keys: mem_limit, memswap_limit, mem_reservation, cpus, pids_limit, cpu_*, cpuset', () => {
    const s = service(
      'mem_limit: 512m\nmemswap_limit: 1g\nmem_reservation: 128m\ncpus: 1.5\npids_limit: 100\ncpu_shares: 512\ncpu_quota: 50000\ncpu_period: 100000\ncpuset: "0-1"\nmem_swappiness: 10\noom_score_adj: -500\noom_kill_disable: true\nshm_size: 64m',
    );
    expect(s.resources).toEqual({
      memoryBytes: 512 * MiB,
      memorySwapBytes: 1024 * MiB,
      memoryReservationBytes: 128 * MiB,
      cpus: 1.5,
      pidsLimit: 100,
      cpuShares: 512,
      cpuQuota: 50_000,
      cpuPeriod: 100_000,
      cpuset: '0-1',
      memSwappiness: 10,
      oomScoreAdj: -500,
      oomKillDisable: true,
      blkioDeviceReadBps: [],
      blkioDeviceWriteBps: [],
      blkioDeviceReadIops: [],
      blkioDeviceWriteIops: [],
    });
    expect(s.shmSizeBytes).toBe(64 * MiB);
  });

  it('deploy.resources limits and reservations', () => {
    const s = service('deploy:\n  resources:\n    limits: {cpus: "0.50", memory: 1.5GB, pids: 50}\n    reservations: {cpus: "0.25", memory: 20M}');
    expect(s.resources).toMatchObject({
      cpus: 0.5,
      memoryBytes: 1.5 * 1024 * MiB,
      pidsLimit: 50,
      cpusReservation: 0.25,
      memoryReservationBytes: 20 * MiB,
    });
  });

  it('the same value in both places is fine; deploy is used', () => {
    expect(service('mem_limit: 512m\ndeploy: {resources: {limits: {memory: 536870912}}}').resources.memoryBytes).toBe(512 * MiB);
  });

  it('distinct values in legacy and deploy keys are an error', () => {
    expect(serviceErrors('cpus: 1\ndeploy: {resources: {limits: {cpus: "2"}}}')).toEqual([
      `${FILE}:5:41: services.s.deploy.resources.limits.cpus: can't set distinct values on 'cpus' and 'deploy.resources.limits.cpus' (1 and 2)`,
    ]);
    expect(serviceErrors('mem_limit: 1g\ndeploy: {resources: {limits: {memory: 2g}}}')[0]).toContain("'mem_limit' and 'deploy.resources.limits.memory'");
  });

  it('blkio_config rates', () => {
    const s = service('blkio_config:\n  weight: 300\n  device_read_bps: [{path: /dev/sda, rate: 12mb}]\n  device_write_iops: [{path: /dev/sda, rate: 30}]');
    expect(s.resources).toMatchObject({
      blkioWeight: 300,
      blkioDeviceReadBps: [{ path: '/dev/sda', rate: 12 * MiB }],
      blkioDeviceWriteIops: [{ path: '/dev/sda', rate: 30 }],
    });
  });

  it('out-of-range values are located errors', () => {
    expect(serviceErrors('mem_swappiness: 150')[0]).toContain('services.s.mem_swappiness: found 150, expected a percentage from 0 to 100');
    expect(serviceErrors('oom_score_adj: 2000')[0]).toContain('services.s.oom_score_adj: found 2000');
  });
});

describe('replicas and scale', () => {
  it('deploy.replicas, scale, default 1', () => {
    expect(service('deploy: {replicas: 3}').replicas).toBe(3);
    expect(service('scale: 2').replicas).toBe(2);
    expect(service('scale: 0').replicas).toBe(0);
    expect(service('init: true').replicas).toBe(1);
    expect(service('scale: 2\ndeploy: {replicas: 2}').replicas).toBe(2);
  });

  it('conflicting scale and deploy.replicas is an error', () => {
    expect(serviceErrors('scale: 2\ndeploy: {replicas: 3}')).toEqual([
      `${FILE}:5:24: services.s.deploy.replicas: can't set distinct values on 'scale' and 'deploy.replicas' (2 and 3)`,
    ]);
  });

  it('container_name with more than one replica is an error', () => {
    expect(serviceErrors('container_name: web\ndeploy: {replicas: 2}')).toEqual([
      `${FILE}:4:21: services.s.container_name: container_name "web" cannot be used with 2 replicas: container names must be unique`,
    ]);
  });
});

describe('restart', () => {
  it('restart strings', () => {
    expect(service('restart: always').restart).toEqual({ condition: 'always' });
    expect(service('restart: unless-stopped').restart).toEqual({ condition: 'unless-stopped' });
    expect(service('restart: "no"').restart).toEqual({ condition: 'no' });
    expect(service('restart: on-failure:5').restart).toEqual({ condition: 'on-failure', maxAttempts: 5 });
    expect(service('restart: on-failure').restart).toEqual({ condition: 'on-failure' });
  });

  it('deploy.restart_policy wins over restart, any is always, none is no', () => {
    expect(service('restart: "no"\ndeploy: {restart_policy: {condition: on-failure, max_attempts: 3, delay: 5s, window: 2m}}').restart).toEqual({
      condition: 'on-failure',
      maxAttempts: 3,
      delayMs: 5_000,
      windowMs: 120_000,
    });
    expect(service('deploy: {restart_policy: {condition: any}}').restart).toEqual({ condition: 'always' });
    expect(service('deploy: {restart_policy: {condition: none}}').restart).toEqual({ condition: 'no' });
    expect(service('deploy: {restart_policy: {}}').restart).toEqual({ condition: 'always' });
  });
});

describe('update_config', () => {
  it('defaults and overrides', () => {
    expect(service('init: true').updateConfig).toEqual({
      parallelism: 1,
      delayMs: 0,
      order: 'stop-first',
      failureAction: 'pause',
      monitorMs: 5_000,
      maxFailureRatio: 0,
    });
    const s = service('deploy: {update_config: {parallelism: 2, delay: 10s, order: start-first, failure_action: rollback}, rollback_config: {parallelism: 0}}');
    expect(s.updateConfig).toMatchObject({ parallelism: 2, delayMs: 10_000, order: 'start-first', failureAction: 'rollback' });
    expect(s.rollbackConfig).toMatchObject({ parallelism: 0 });
  });

  it('is loaded without errors in a full file', () => {
    expect(load('services:\n  s:\n    image: a\n    deploy: {update_config: {monitor: 1m}}\n').errors).toEqual([]);
  });
});

describe('resource sanity', () => {
  it('negative memory is an error; memswap_limit -1 means unlimited', () => {
    expect(serviceErrors('mem_limit: -5m')[0]).toContain('services.s.mem_limit: found -5242880, expected a byte size of 0 or more');
    expect(service('memswap_limit: -1').resources.memorySwapBytes).toBe(-1);
    expect(serviceErrors('memswap_limit: -2')[0]).toContain('expected a byte size or -1 (unlimited swap)');
  });
});
