import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { supervisorEnv, wantsEarlySpare } from '../../src/cli/early.js';
import { byteOrder } from '../../src/order.js';
import { asksVersionOnly, statedProjectName } from '../../src/cli/verb-of.js';

describe('wantsEarlySpare (bin/ starts a supervisor before the CLI loads)', () => {
  it('is up, wherever the global options put it', () => {
    expect(wantsEarlySpare(['up', '-d'])).toBe(true);
    expect(wantsEarlySpare(['-p', 'up', '-f', 'x.yaml', 'up'])).toBe(true);
    expect(wantsEarlySpare(['--progress', 'quiet', 'up', 'web', '--', '-h'])).toBe(true);
  });
  it('is not other verbs, help or version', () => {
    expect(wantsEarlySpare(['ps'])).toBe(false);
    expect(wantsEarlySpare(['-p', 'up', 'down'])).toBe(false);
    expect(wantsEarlySpare(['up', '--help'])).toBe(false);
    expect(wantsEarlySpare(['up', '-h'])).toBe(false);
    expect(wantsEarlySpare(['--version'])).toBe(false);
    expect(wantsEarlySpare([])).toBe(false);
  });
});

describe('asksVersionOnly (bin/ answers --version itself)', () => {
  it('is --version or -v among global options, before any verb', () => {
    expect(asksVersionOnly(['--version'])).toBe(true);
    expect(asksVersionOnly(['-p', 'proj', '--progress', 'quiet', '-v'])).toBe(true);
    expect(asksVersionOnly(['-f', '-v', '--version'])).toBe(true);
  });
  it('is not a verb\'s own -v, nor a value', () => {
    expect(asksVersionOnly(['down', '-v'])).toBe(false);
    expect(asksVersionOnly(['-f', '-v'])).toBe(false);
    expect(asksVersionOnly(['-v', 'ps'])).toBe(false);
    expect(asksVersionOnly(['-h', '-v'])).toBe(false);
    expect(asksVersionOnly([])).toBe(false);
  });
});

describe('statedProjectName (the project a spare may prepare before the CLI loads the files)', () => {
  it('is the last -p/--project-name among the global options, in every form commander takes', () => {
    expect(statedProjectName(['-p', 'web1', 'up', '-d'], {})).toBe('web1');
    expect(statedProjectName(['--project-name', 'a_b-c', 'up'], {})).toBe('a_b-c');
    expect(statedProjectName(['--project-name=x9', 'up'], {})).toBe('x9');
    expect(statedProjectName(['-pshort', 'up'], {})).toBe('short');
    expect(statedProjectName(['-p', 'one', '-f', 'c.yaml', '-p', 'two', 'up'], {})).toBe('two');
    expect(statedProjectName(['--progress', 'quiet', '-p', 'q', 'up'], { COMPOSE_PROJECT_NAME: 'env' })).toBe('q');
  });
  it('else COMPOSE_PROJECT_NAME of the environment, which wins over .env', () => {
    expect(statedProjectName(['up', '-d'], { COMPOSE_PROJECT_NAME: 'fromenv' })).toBe('fromenv');
    expect(statedProjectName(['up'], { COMPOSE_PROJECT_NAME: '' })).toBeUndefined();
  });
  it('is not a value of another option, nor anything after the verb', () => {
    expect(statedProjectName(['-f', '-p', 'up'], {})).toBeUndefined();
    expect(statedProjectName(['up', '-p', 'late'], {})).toBeUndefined();
    expect(statedProjectName(['--env-file', 'x', 'up'], {})).toBeUndefined();
    expect(statedProjectName(['up'], {})).toBeUndefined();
  });
  it('is undefined for names the CLI would refuse (it reports them; an empty -p is not the environment\'s)', () => {
    expect(statedProjectName(['-p', 'Upper', 'up'], {})).toBeUndefined();
    expect(statedProjectName(['-p', '-dash', 'up'], {})).toBeUndefined();
    expect(statedProjectName(['-p', '', 'up'], { COMPOSE_PROJECT_NAME: 'env' })).toBeUndefined();
    expect(statedProjectName(['up'], { COMPOSE_PROJECT_NAME: 'Bad Name' })).toBeUndefined();
  });
});

describe('supervisorEnv (a supervisor starts without Node parsing extra CA certificates)', () => {
  it('moves NODE_EXTRA_CA_CERTS to TSCOMPOSE_EXTRA_CA_CERTS and keeps the rest', () => {
    const env = { PATH: '/bin', NODE_EXTRA_CA_CERTS: '/etc/ca.pem' };
    expect(supervisorEnv(env)).toEqual({ PATH: '/bin', TSCOMPOSE_EXTRA_CA_CERTS: '/etc/ca.pem' });
    expect(env.NODE_EXTRA_CA_CERTS).toBe('/etc/ca.pem'); // the caller's object is not changed
  });
  it('leaves an environment without it as it is, and an explicit TSCOMPOSE_EXTRA_CA_CERTS wins', () => {
    const plain = { PATH: '/bin' };
    expect(supervisorEnv(plain)).toBe(plain);
    expect(supervisorEnv({ NODE_EXTRA_CA_CERTS: '/a', TSCOMPOSE_EXTRA_CA_CERTS: '/b' })).toEqual({ TSCOMPOSE_EXTRA_CA_CERTS: '/b' });
  });
});

describe('byteOrder (Compose sorts names with Go string <)', () => {
  it('orders by code unit, not by locale', () => {
    expect(['p-web-2', 'p-web-10', 'p_a', 'P-x', 'p-a'].sort(byteOrder)).toEqual(['P-x', 'p-a', 'p-web-10', 'p-web-2', 'p_a']);
    expect(byteOrder('a', 'a')).toBe(0);
  });
});
