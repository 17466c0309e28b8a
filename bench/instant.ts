/**
 * `npm run bench -- --instant`: the instant picture, JSON lines. First the fast network's transfer
 * at 512 px beside one 512 px painting step timed in the same run (the engine's threads, and the
 * lane's one thread; target: transfer ≤ 0.15× a step). Then the time from a /stylize to its
 * instant picture on screen, through the real bot (startApp, the chat process's lane, the real
 * engine painting beside it) and the Discord emulator: with the line empty (the job's own painting
 * starts at once), for ten users at once, and with 10 jobs waiting (target ≤ 1.5 s; ten at once ≤ 3 s).
 * PAINT_NICENESS, when set, is passed to the bot (to compare priorities in one window).
 */
import { createEngine } from '../src/engine/index.js';
import { startHarness } from '../test/discord/harness.js';
import { firstPicture } from '../test/discord/instant-scenario.js';
import { FAST_MODELS_DIR } from '../test/engine/support/fast-models.js';
import { image, WEIGHTS } from '../test/support/fixtures.js';
import { fastTimes } from './fast.js';
import { msPerEvaluation } from './step-time.js';

const SIZE = 512;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const user = (k: number) => ({ id: `42000000000000${String(k).padStart(4, '0')}`, username: `bench${k}` });
const emit = (record: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ part: 'instant', size: SIZE, ...record })}\n`);
const weights = process.env.VGG19_WEIGHTS ?? WEIGHTS;

// The network alone, before the bot starts, so nothing else of this run computes beside it.
{
  const engine = await createEngine({ weights, backend: 'onnx', maxSize: SIZE });
  const step = await msPerEvaluation(engine, { content: image('chicago.jpg'), styles: [{ bytes: image('udnie.jpg') }], options: {} }, SIZE, 3);
  engine.dispose();
  for (const threads of [engine.threads, 1]) {
    const { transferMs } = await fastTimes(FAST_MODELS_DIR, threads, 5);
    const ms = transferMs[SIZE]!;
    emit({
      what: `transfer ${SIZE}x${SIZE}`,
      threads,
      ...(threads === 1 ? { note: "the instant lane's thread count" } : {}),
      ms: Math.round(ms),
      stepMs512: Math.round(step.ms),
      ratio: +(ms / step.ms).toFixed(3),
      ...(threads === engine.threads ? { target: 0.15 } : {}),
    });
  }
}

const h = await startHarness(
  {
    FAST_STYLE_MODELS: FAST_MODELS_DIR,
    MAX_IMAGE_SIZE: String(SIZE),
    QUEUE_MAX_LENGTH: '30',
    QUEUE_MAX_PER_GUILD: '30',
    LOG_LEVEL: 'warn',
    ...(process.env.PAINT_NICENESS ? { PAINT_NICENESS: process.env.PAINT_NICENESS } : {}),
  },
  {},
  'real',
);
await h.app.lane!.ready();
const content = await h.emu.uploadImage('chicago.jpg');
const style = await h.emu.uploadImage('udnie.jpg');
let next = 0;
/** Submits one default job; resolves with the ms until its instant picture was on screen, and the job. */
async function submit(): Promise<{ ms: number; userId: string }> {
  const who = user(next++);
  const i = h.emu.runCommand({ name: 'stylize', user: who, options: { content, style } });
  const shown = await firstPicture(h, i, 60_000);
  return { ms: shown.at - i.createdAt, userId: who.id };
}
/** Cancels `userId`'s jobs (every job when none is named) and waits until they have left the line. */
async function cancelJobs(userId?: string): Promise<void> {
  const mine = (job: { owner: { userId: string } }) => userId === undefined || job.owner.userId === userId;
  for (const job of (await h.app.queue.snapshot()).jobs) if (mine(job)) await h.app.queue.cancel(job.id, { userId: job.owner.userId });
  // Polled: the queue's own record is what says a job has left.
  for (let t0 = Date.now(); (await h.app.queue.snapshot()).jobs.some(mine); ) {
    if (Date.now() - t0 > 60_000) throw new Error('cancelled jobs did not leave the line within 60 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The line empty: the job starts painting at once, its instant picture made beside it.
const alone: number[] = [];
for (let k = 0; k < 3; k++) {
  alone.push((await submit()).ms);
  await cancelJobs();
}
emit({ what: 'submission to instant picture on screen', queued: 0, ms: alone, medianMs: median(alone), targetMs: 1500 });

// Ten users at once: the last in the lane waits for nine pictures.
const burst = await Promise.all(Array.from({ length: 10 }, () => submit()));
const burstMs = burst.map((b) => b.ms);
emit({ what: 'ten users at once: each one to their instant picture', queued: 0, ms: burstMs, medianMs: median(burstMs), maxMs: Math.max(...burstMs), targetMs: 3000 });

// Ten jobs waiting (and one painting): a new submission's instant picture does not wait for them.
// One more than the burst, so 10 wait; each timed job leaves again, so the next finds 10 too.
await submit();
const queued: number[] = [];
const waitingAhead = (await h.app.queue.snapshot()).length - 1;
for (let k = 0; k < 3; k++) {
  const timed = await submit();
  queued.push(timed.ms);
  await cancelJobs(timed.userId);
}
emit({ what: 'submission to instant picture on screen', queued: waitingAhead, ms: queued, medianMs: median(queued), targetMs: 1500 });

await h.app.queue.shutdown({ graceMs: 0 });
await h.close();
process.exit(0);
