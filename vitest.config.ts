import { defineConfig } from 'vitest/config';

/**
 * Files that assert how long something takes (a cancel within two steps, progress gaps) run first,
 * one at a time, on an otherwise idle machine. The rest run two at a time: chat, queue and Redis
 * tests mostly wait on sockets and timers, so they overlap with the engine tests' computing instead
 * of adding to it. (The instant lanes assert order, not seconds: bench/instant.ts times them.)
 */
const TIMED = [
  'test/engine/stylize.test.ts',
  'test/engine/large-sizes.test.ts',
  'test/queue/queue.test.ts',
];

const shared = {
  globalSetup: ['test/support/global-setup.ts'],
  // Two files share 2 cores: an engine test may take twice what it takes alone.
  testTimeout: 300_000,
  hookTimeout: 300_000,
};

export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'timed', include: TIMED, fileParallelism: false, sequence: { groupOrder: 1 } } },
      { test: { ...shared, name: 'rest', include: ['test/**/*.test.ts'], exclude: TIMED, maxWorkers: 2, sequence: { groupOrder: 2 } } },
    ],
  },
});
