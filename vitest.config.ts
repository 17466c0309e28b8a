import { relative } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Files that assert how long something takes (a cancel within two steps, progress gaps) run first,
 * one at a time, on an otherwise idle machine. The rest run three at a time: chat, queue and Redis
 * tests mostly wait on sockets, timers and the fake engine's steps, so a third file fills the cores
 * those waits leave idle. (The instant lanes assert order, not seconds: bench/instant.ts times them.)
 */
const TIMED = [
  'test/engine/stylize.test.ts',
  'test/engine/large-sizes.test.ts',
  'test/queue/queue.test.ts',
];

/**
 * The longest files, started first in this order, engine work and long waits taken in turn, so the
 * run does not end on one of them alone; the others follow in vitest's order.
 */
const LONGEST = [
  'test/engine/quality.test.ts',
  'test/redis/instant-keep.test.ts',
  'test/engine/composition-guard.test.ts',
  'test/redis/distributed.test.ts',
  'test/engine/onnx-objective.test.ts',
  'test/hostile/thin-style.test.ts',
  'test/engine/fast-mode.test.ts',
  'test/discord/bot.test.ts',
  'test/engine/onnx-tiled.test.ts',
  'test/discord/instant-lane.test.ts',
  'test/engine/runtime.test.ts',
  'test/hostile/secrets.test.ts',
  'test/engine/option-effects.test.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const at = LONGEST.indexOf(relative(spec.project.config.root, spec.moduleId));
      return at < 0 ? LONGEST.length : at;
    };
    const groupOrder = (spec: TestSpecification) => spec.project.config.sequence.groupOrder;
    return (await super.sort(files)).sort((a, b) => groupOrder(a) - groupOrder(b) || rank(a) - rank(b));
  }
}

const shared = {
  globalSetup: ['test/support/global-setup.ts'],
  // Three files share 2 cores: an engine test may take several times what it takes alone.
  testTimeout: 300_000,
  hookTimeout: 300_000,
};

export default defineConfig({
  test: {
    sequence: { sequencer: LongestFirst },
    projects: [
      { test: { ...shared, name: 'timed', include: TIMED, fileParallelism: false, sequence: { groupOrder: 1 } } },
      { test: { ...shared, name: 'rest', include: ['test/**/*.test.ts'], exclude: TIMED, maxWorkers: 3, sequence: { groupOrder: 2 } } },
    ],
  },
});
