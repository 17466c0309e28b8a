import { defineConfig } from 'vitest/config';

/**
 * Files that paint with the real VGG19 engine, or assert how long something takes, run one at a
 * time first (on 2 cores two of them would slow each other past their limits). The rest (chat,
 * queue and Redis tests on a fake engine worker, pure functions) mostly wait on sockets and
 * timers, so they run two at a time after.
 */
const ALONE = [
  'test/engine/**/*.test.ts',
  'test/**/real-engine*.test.ts',
  'test/**/*instant*.test.ts',
  'test/**/*iterate*.test.ts',
  'test/**/*large*.test.ts',
  'test/**/*tiled*.test.ts',
  'test/queue/queue.test.ts',
  'test/queue/failures.test.ts',
  'test/redis/distributed.test.ts',
  'test/cli.test.ts',
  'test/hostile/cli*.test.ts',
];

const shared = {
  globalSetup: ['test/support/global-setup.ts'],
  testTimeout: 120_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: { ...shared, name: 'alone', include: ALONE, fileParallelism: false, sequence: { groupOrder: 0 } },
      },
      {
        test: {
          ...shared,
          name: 'together',
          include: ['test/**/*.test.ts'],
          exclude: ALONE,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
