import { describe, expect, it } from 'vitest';
import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { layerByteLimit } from '../../src/image/layer-stream.js';

describe('layer size limit', () => {
  it('is the configured limit, but never more than the free space less a reserve', () => {
    const st = statfsSync(tmpdir());
    const free = st.bavail * st.bsize;
    expect(layerByteLimit(tmpdir(), 1000)).toBe(1000);
    const big = layerByteLimit(tmpdir(), Number.MAX_SAFE_INTEGER);
    // bounded by the disk (other processes change the free space meanwhile: only coarse bounds)
    expect(big).toBeLessThan(Number.MAX_SAFE_INTEGER);
    expect(big).toBeGreaterThan(free / 2);
  });
});
