import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // onnxruntime sessions are CPU-heavy; two cores do better with fewer parallel files.
    maxWorkers: 2,
    pool: 'forks',
  },
});
