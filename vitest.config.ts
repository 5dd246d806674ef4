import { defineConfig } from 'vitest/config';

// e2e and integration tests drive real kernel objects (namespaces, cgroups, mounts, bridges) as root.
// They poll with generous deadlines instead of asserting times; forks keep koffi and signals per process.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 60_000,
  },
});
