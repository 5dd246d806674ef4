import { describe, expect, it } from 'vitest';
import { createdSince, servicesToPull } from '../../src/cli/verbs/image-run.js';
import type { Project } from '../../src/spec/model.js';

const project = {
  services: {
    web: { dependsOn: { api: {} } },
    api: { dependsOn: { db: {} } },
    db: { dependsOn: {} },
    other: { dependsOn: {} },
  },
} as unknown as Project;

describe('pull service selection', () => {
  it('all services, the named ones, or the named ones with their dependencies (--include-deps)', () => {
    expect(servicesToPull(project, [], false)).toEqual(['api', 'db', 'other', 'web']);
    expect(servicesToPull(project, ['web'], false)).toEqual(['web']);
    expect(servicesToPull(project, ['web'], true)).toEqual(['api', 'db', 'web']);
    expect(() => servicesToPull(project, ['nope'], false)).toThrow(/no such service: nope/);
  });
});

describe('images CREATED column', () => {
  it('reads like docker/go-units HumanDuration', () => {
    const now = Date.parse('2026-01-31T00:00:00Z');
    const ago = (s: number): string => createdSince(new Date(now - s * 1000).toISOString(), now);
    expect(ago(0)).toBe('Less than a second ago');
    expect(ago(30)).toBe('30 seconds ago');
    expect(ago(60)).toBe('About a minute ago');
    expect(ago(600)).toBe('10 minutes ago');
    expect(ago(3600)).toBe('About an hour ago');
    expect(ago(5 * 3600)).toBe('5 hours ago');
    expect(ago(3 * 86400)).toBe('3 days ago');
    expect(ago(21 * 86400)).toBe('3 weeks ago');
    expect(ago(90 * 86400)).toBe('3 months ago');
    expect(ago(800 * 86400)).toBe('2 years ago');
    expect(createdSince(undefined, now)).toBe('N/A');
  });
});
