/**
 * `npm run bench -- --instant`: time from a /stylize to its instant picture on screen, through the
 * real bot (startApp, the chat process's lane, the real engine painting beside it) and the Discord
 * emulator: with the line empty, with 10 jobs waiting, and for ten users at once. JSON lines.
 */
import { startHarness } from '../test/discord/harness.js';
import { firstPicture } from '../test/discord/instant-scenario.js';
import { FAST_MODELS_DIR } from '../test/engine/support/fast-models.js';

const SIZE = 512;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const user = (k: number) => ({ id: `42000000000000${String(k).padStart(4, '0')}`, username: `bench${k}` });

const h = await startHarness(
  { FAST_STYLE_MODELS: FAST_MODELS_DIR, MAX_IMAGE_SIZE: String(SIZE), QUEUE_MAX_LENGTH: '30', QUEUE_MAX_PER_GUILD: '30', LOG_LEVEL: 'warn', ...(process.env.PAINT_NICENESS ? { PAINT_NICENESS: process.env.PAINT_NICENESS } : {}) },
  {},
  'real',
);
await h.app.lane!.ready();
const content = await h.emu.uploadImage('chicago.jpg');
const style = await h.emu.uploadImage('udnie.jpg');
let next = 0;
/** Submits one default job; resolves with the ms until its instant picture was on screen. */
async function submit(): Promise<number> {
  const i = h.emu.runCommand({ name: 'stylize', user: user(next++), options: { content, style } });
  const shown = await firstPicture(h, i, 60_000);
  return shown.at - i.createdAt;
}
const emit = (record: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ part: 'instant', size: SIZE, ...record })}\n`);

// The line empty: the job starts painting at once, its instant picture made beside it.
const alone: number[] = [];
for (let k = 0; k < 3; k++) {
  alone.push(await submit());
  for (const job of (await h.app.queue.snapshot()).jobs) await h.app.queue.cancel(job.id, { userId: job.owner.userId });
  await h.emu.waitFor('an empty line', () => h.live.length === 0, 60_000);
}
emit({ what: 'submission to instant picture on screen', queued: 0, ms: alone, medianMs: median(alone), targetMs: 1500 });

// Ten users at once: the last in the lane waits for nine pictures.
const burst = await Promise.all(Array.from({ length: 10 }, () => submit()));
emit({ what: 'ten users at once: each one to their instant picture', queued: 0, ms: burst, medianMs: median(burst), maxMs: Math.max(...burst), targetMs: 3000 });

// Ten jobs waiting (and one painting): a new submission's instant picture does not wait for them.
const queued: number[] = [];
for (let k = 0; k < 3; k++) queued.push(await submit());
emit({ what: 'submission to instant picture on screen', queued: (await h.app.queue.snapshot()).length - 1, ms: queued, medianMs: median(queued), targetMs: 1500 });

await h.app.queue.shutdown({ graceMs: 0 });
await h.close();
process.exit(0);
