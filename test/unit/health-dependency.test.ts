import { describe, expect, it } from 'vitest';
import { evaluateDependencies, evaluateDependency } from '../../src/health/dependency.js';
import type { DependencyContainerState, DependencyQuery } from '../../src/health/api.js';

const q = (condition: DependencyQuery['condition'], containers: DependencyContainerState[], required = true): DependencyQuery => ({
  service: 'db', condition, required, containers,
});
const c = (state: DependencyContainerState['state'], o: Partial<DependencyContainerState> = {}): DependencyContainerState => ({
  name: 'p-db-1', state, ...o,
});

describe('evaluateDependency', () => {
  it('service_started waits for a started container', () => {
    expect(evaluateDependency(q('service_started', [])).outcome).toBe('pending');
    expect(evaluateDependency(q('service_started', [c('created')])).outcome).toBe('pending');
    expect(evaluateDependency(q('service_started', [c('running')])).outcome).toBe('satisfied');
    expect(evaluateDependency(q('service_started', [c('exited', { exitCode: 1 })])).outcome).toBe('satisfied');
  });

  it('service_healthy needs every container healthy', () => {
    expect(evaluateDependency(q('service_healthy', [c('running', { health: 'starting' })])).outcome).toBe('pending');
    expect(evaluateDependency(q('service_healthy', [c('running', { health: 'healthy' })])).outcome).toBe('satisfied');
    expect(
      evaluateDependency(q('service_healthy', [c('running', { health: 'healthy' }), c('running', { name: 'p-db-2', health: 'starting' })])),
    ).toEqual({ outcome: 'pending', reason: 'waiting for container p-db-2 to be healthy' });
    expect(evaluateDependency(q('service_healthy', [c('created', { health: 'starting' })])).outcome).toBe('pending');
    expect(evaluateDependency(q('service_healthy', [c('running', { hasHealthcheck: true })])).outcome).toBe('pending');
  });

  it('service_healthy fails on unhealthy, exited, or no healthcheck, with Compose\'s reasons', () => {
    expect(evaluateDependency(q('service_healthy', [c('running', { health: 'unhealthy' })]))).toEqual({ outcome: 'failed', reason: 'container p-db-1 is unhealthy' });
    expect(evaluateDependency(q('service_healthy', [c('exited', { exitCode: 3 })]))).toEqual({ outcome: 'failed', reason: 'container p-db-1 exited (3)' });
    expect(evaluateDependency(q('service_healthy', [c('running')]))).toEqual({ outcome: 'failed', reason: 'container p-db-1 has no healthcheck configured' });
  });

  it('service_completed_successfully needs exit 0', () => {
    expect(evaluateDependency(q('service_completed_successfully', [c('running')])).outcome).toBe('pending');
    expect(evaluateDependency(q('service_completed_successfully', [c('exited', { exitCode: 0 })])).outcome).toBe('satisfied');
    expect(evaluateDependency(q('service_completed_successfully', [c('exited', { exitCode: 2 })]))).toEqual({
      outcome: 'failed', reason: 'service "db" didn\'t complete successfully: exit 2',
    });
  });

  it('a failed optional dependency is satisfied with a warning', () => {
    const r = evaluateDependency(q('service_healthy', [c('running', { health: 'unhealthy' })], false));
    expect(r.outcome).toBe('satisfied');
    expect(r.outcome === 'satisfied' && r.warning).toContain('is unhealthy');
  });
});

describe('evaluateDependencies', () => {
  it('fails on the first failure, else pends while any waits', () => {
    const ok = q('service_started', [c('running')]);
    const wait = q('service_healthy', [c('running', { health: 'starting' })]);
    const bad = q('service_completed_successfully', [c('exited', { exitCode: 1 })]);
    expect(evaluateDependencies([ok]).outcome).toBe('satisfied');
    expect(evaluateDependencies([ok, wait]).outcome).toBe('pending');
    const f = evaluateDependencies([ok, wait, bad]);
    expect(f.outcome).toBe('failed');
    expect(f.reasons[0]).toBe('dependency failed to start: service "db" didn\'t complete successfully: exit 1');
  });
});

describe('withRestartDependents', () => {
  it('adds dependents with restart: true, transitively, and not the others', async () => {
    const { withRestartDependents } = await import('../../src/health/dependency.js');
    const dep = (restart: boolean) => ({ restart });
    const services = {
      db: { dependsOn: {} },
      api: { dependsOn: { db: dep(true) } },
      web: { dependsOn: { api: dep(true) } },
      other: { dependsOn: { db: dep(false) } },
    };
    expect(withRestartDependents(services, ['db']).sort()).toEqual(['api', 'db', 'web']);
    expect(withRestartDependents(services, ['api']).sort()).toEqual(['api', 'web']);
    expect(withRestartDependents(services, ['other'])).toEqual(['other']);
  });
});
