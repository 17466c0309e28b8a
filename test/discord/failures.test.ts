/**
 * Failures that happen while a job runs reach the user in its message as a sentence with the
 * request id, and the log has that request id with the kind of failure. A real worker thread
 * running the fake engine, a 3-second job time limit so the time-limit case is quick.
 */
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { register } from '../../src/cli/register.js';
import type { EmuInteraction } from '../emulator/discord/emulator.js';
import { logsOf, startHarness, type Harness } from './harness.js';
import { until } from '../support/fixtures.js';

let h: Harness;
const workers: Worker[] = [];

beforeAll(async () => {
  h = await startHarness({}, { queue: { jobTimeLimitMs: 3000, onWorkerSpawn: (w) => workers.push(w) } });
  await register(h.env);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

async function job(size: number, iterations: number): Promise<EmuInteraction> {
  return h.emu.runCommand({
    name: 'stylize',
    options: { content: await h.emu.uploadImage('chicago.jpg'), style: await h.emu.uploadImage('udnie.jpg'), size, iterations },
  });
}

/** The job message once it carries the final sentence (with a request id). */
function finalSentence(i: EmuInteraction) {
  return h.emu.waitFor(
    'the final sentence',
    () => {
      const m = h.emu.original(i);
      return m && /\(request [0-9a-f]{10}\)$/.test(m.content) ? m : undefined;
    },
    60_000,
  );
}

function requestIdOf(content: string): string {
  return /\(request ([0-9a-f]{10})\)$/.exec(content)![1]!;
}

it('a job past the time limit is stopped, and the user is told why and what to change', async () => {
  const i = await job(128, 2000);
  const m = await finalSentence(i);
  expect(m.content).toMatch(/^Your picture took longer than the limit of 3 s and was stopped; try a smaller size or fewer iterations\. \(request [0-9a-f]{10}\)$/);
  expect(logsOf(h, requestIdOf(m.content)).find((l) => l.msg === 'job settled')).toMatchObject({ status: 'failed', kind: 'time-limit' });
  await until('an empty queue', () => h.live.length === 0);
});

it('a worker that dies mid-job: the user reads what happened and what to do, the log has the request id', async () => {
  const i = await job(96, 2000);
  await until('the job to run', () => h.live.running === 1);
  await workers.at(-1)!.terminate();
  const m = await finalSentence(i);
  expect(m.content).toMatch(/stopped unexpectedly.*try again.*\(request [0-9a-f]{10}\)$/is);
  expect(m.attachments).toEqual([]);
  expect(h.emu.buttons(m).map((b) => b.label)).toEqual(['Reroll', 'Parameters']);
  expect(logsOf(h, requestIdOf(m.content)).find((l) => l.msg === 'job settled')).toMatchObject({ status: 'failed', kind: 'worker-crash' });
});
