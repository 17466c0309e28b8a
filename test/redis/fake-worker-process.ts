/**
 * `npm run worker` (src/cli/worker.ts's runWorker: Redis, BullMQ, signals, hand-back) with the fake
 * engine thread, for Redis tests about the queue rather than the engine. FAKE_STEP_MS sets the
 * fake's milliseconds per 128 px step.
 */
import { runWorker } from '../../src/cli/worker.js';
import { fakeEngineWorker } from '../support/fake-engine-worker.js';

const stepMs = process.env.FAKE_STEP_MS === undefined ? undefined : Number(process.env.FAKE_STEP_MS);
runWorker(undefined, { workerEntry: fakeEngineWorker({ stepMs }) }).catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
