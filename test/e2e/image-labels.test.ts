/**
 * Container labels as Docker merges them: the image's labels, then the service's (which win on a clash),
 * then Compose's own com.docker.compose.* labels.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importRootfs } from '../../src/image/import.js';
import { ImageStore } from '../../src/image/store.js';
import { busyboxRootfs } from '../helpers/busybox.js';
import { tarDir } from '../helpers/image-tar.js';
import { StackEnv } from '../helpers/stack.js';

const env = new StackEnv('lbl');

beforeAll(async () => {
  const work = mkdtempSync(join(tmpdir(), 'tsc-lblimg-'));
  try {
    const tar = tarDir(busyboxRootfs(), join(work, 'rootfs.tar'));
    await importRootfs(new ImageStore({ root: env.root }), tar, 'labelled:1', {
      changes: { cmd: ['sh'], labels: { 'org.example.from': 'image', 'org.example.both': 'image' } },
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
afterAll(() => env.cleanup());

describe('container labels', () => {
  it("carry the image's labels, with the service's winning", async () => {
    const p = env.project('lbl', `services:
  app:
    image: labelled:1
    command: ["sleep", "600"]
    labels: { org.example.both: service, org.example.mine: yes }
`);
    await env.ok(p, ['up', '-d']);
    const [c] = await env.psJson(p, true);
    const raw = (c as unknown as { Labels: string | Record<string, string> }).Labels;
    const labels = typeof raw === 'string' ? Object.fromEntries(raw.split(',').map((kv) => kv.split('=', 2) as [string, string])) : raw;
    expect(labels['org.example.from']).toBe('image');
    expect(labels['org.example.both']).toBe('service');
    expect(labels['org.example.mine']).toBe('yes');
    expect(labels['com.docker.compose.service']).toBe('app');
    await env.ok(p, ['down']);
  });
});
