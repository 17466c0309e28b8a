/**
 * Issue 12, the burst: 100 jobs through the real queue and a real worker thread, every tenth one
 * hostile. Every good job finishes, every bad one gets its own sentence, the worker is replaced
 * once per runtime fault and never otherwise, and nothing is left waiting or running. The burst is
 * about the queue: the worker runs the fake engine, which refuses with the engine's own checks and
 * meets a real WebAssembly trap on FAULT_SEED (thin-style.test faults inside the real engine).
 */
import sharp from 'sharp';
import { expect, it } from 'vitest';
import type { JobOutcome, JobSpec } from '../../src/queue/types.js';
import { startQueue, submit, tinyJob, type Tracked } from '../queue/helpers.js';
import { FAULT_SEED, fakeEngineWorker } from '../support/fake-engine-worker.js';
import { image, WEIGHTS } from '../support/fixtures.js';
import { stretched } from './support/pictures.js';

/** Low for this queue, so a picture over it costs a few kilobytes to make. */
const MAX_PIXELS = 1_000_000;
const SHALLOW = { styleLayers: [{ layer: 'block1_conv1', weight: 1 }, { layer: 'block2_conv1', weight: 1 }], contentLayer: 'block2_conv1' };

interface Hostile {
  name: string;
  /** Turns a good job into this bad one. */
  make(spec: JobSpec): JobSpec;
  sentence: RegExp;
  kind: 'bad-input' | 'engine';
}

async function hostileInputs(): Promise<Hostile[]> {
  const banner = await stretched(1000, 100);
  const pole = await stretched(60, 2000);
  const udnie = image('udnie.jpg');
  const avif = new Uint8Array(await sharp(udnie).resize(200).avif().toBuffer());
  const big = new Uint8Array(await sharp({ create: { width: 1200, height: 1000, channels: 3, background: '#808080' } }).png().toBuffer());
  const withStyle = (spec: JobSpec, bytes: Uint8Array): JobSpec => ({ ...spec, request: { ...spec.request, styles: [{ bytes }] } });
  const withContent = (spec: JobSpec, bytes: Uint8Array): JobSpec => ({ ...spec, request: { ...spec.request, content: bytes } });
  const withOptions = (spec: JobSpec, options: Record<string, unknown>): JobSpec => ({
    ...spec,
    request: { ...spec.request, options: { ...spec.request.options, ...options } },
  });
  const text = (s: string) => new TextEncoder().encode(s);
  return [
    { name: 'wide style', make: (s) => withStyle(s, banner), kind: 'bad-input', sentence: /^The style image is 1000×100, too elongated/ },
    { name: 'empty content', make: (s) => withContent(s, new Uint8Array()), kind: 'bad-input', sentence: /^The content image is empty \(0 bytes\)/ },
    { name: 'runtime fault', make: (s) => withOptions(s, { seed: FAULT_SEED }), kind: 'engine', sentence: /^Something went wrong while making your picture; please try again later\.$/ },
    { name: 'text as style', make: (s) => withStyle(s, text('hello, I am not a picture\n')), kind: 'bad-input', sentence: /^The style image is a text file, not a picture\./ },
    { name: 'cut-off AVIF', make: (s) => withContent(s, avif.slice(0, Math.floor(avif.length * 0.5))), kind: 'bad-input', sentence: /^The content image looks like an AVIF but is damaged or cut off/ },
    { name: 'NaN option', make: (s) => withOptions(s, { styleWeight: Number.NaN }), kind: 'bad-input', sentence: /^styleWeight must be a finite number \(you gave NaN\)\.$/ },
    { name: 'too many pixels', make: (s) => withContent(s, big), kind: 'bad-input', sentence: /^The content image is 1200 x 1000 pixels \(1\.2 megapixels\); the limit is 1\.0 megapixels/ },
    { name: 'tall style', make: (s) => withStyle(s, pole), kind: 'bad-input', sentence: /^The style image is 60×2000, too elongated/ },
    { name: 'SVG', make: (s) => withStyle(s, text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')), kind: 'bad-input', sentence: /^The style image is an SVG drawing/ },
    { name: 'runtime fault again', make: (s) => withOptions(s, { seed: FAULT_SEED }), kind: 'engine', sentence: /^Something went wrong while making your picture/ },
  ];
}

it('100 jobs, every tenth hostile: all good ones finish, each bad one gets its sentence, one new worker per fault', async () => {
  const hostile = await hostileInputs();
  const faults = hostile.filter((h) => h.name.startsWith('runtime fault')).length;
  const { queue, workers } = await startQueue({
    engine: { weights: WEIGHTS, limits: { maxPixels: MAX_PIXELS } },
    workerEntry: fakeEngineWorker(),
    maxLength: 100,
    maxPerUser: 100,
    maxPerServer: 100,
    jobTimeLimitMs: 60_000,
  });
  // Thumbnails of the usual fixtures: decoding a full photo 90 times would be most of the work.
  const [content, style] = await Promise.all(['chicago.jpg', 'udnie.jpg'].map(async (f) => new Uint8Array(await sharp(image(f)).resize(96).jpeg().toBuffer())));
  // Good jobs ask for VGG's first two blocks only; the hostile ones keep the default layers, whose
  // poolings are what a thin style must fit (the engine's check, which the fake runs).
  const small = (spec: JobSpec): JobSpec => ({
    ...spec,
    request: {
      content: content!.slice(),
      styles: [{ bytes: style!.slice() }],
      options: { ...spec.request.options, styleLayers: SHALLOW.styleLayers, contentLayer: SHALLOW.contentLayer },
    },
  });
  const exited: number[] = [];
  // Each worker's exit is counted from the moment it appears (they come and go during the burst).
  let watched = 0;
  const watch = () => {
    for (; watched < workers.length; watched++) workers[watched]!.once('exit', (code) => exited.push(code));
  };
  watch();
  const watcher = setInterval(watch, 20);
  try {
    const jobs: { handle: Tracked; bad?: Hostile }[] = [];
    for (let i = 0; i < 100; i++) {
      // Tiny jobs (32 px, one step), so the burst is about the queue, not the painting.
      const spec = tinyJob({ userId: `user${i % 7}`, serverId: `guild${i % 3}` }, { size: 32, iterations: 1 });
      // Jobs 4, 14, … 94: good jobs come after the last fault too.
      const bad = i % 10 === 4 ? hostile[(i - 4) / 10]! : undefined;
      jobs.push({ handle: await submit(queue, bad ? bad.make(spec) : small(spec)), bad });
    }
    const outcomes: JobOutcome[] = await Promise.all(jobs.map((j) => j.handle.settled));

    outcomes.forEach((outcome, i) => {
      const bad = jobs[i]!.bad;
      if (!bad) {
        expect(outcome.status, `job ${i}`).toBe('done');
        return;
      }
      expect(outcome, `job ${i}: ${bad.name}`).toMatchObject({ status: 'failed', failure: { kind: bad.kind, message: expect.stringMatching(bad.sentence) } });
    });
    expect(outcomes.filter((o) => o.status === 'done')).toHaveLength(90);
    expect(queue.workerDeathsInARow).toBe(0);
    // Nothing left hanging: no job in the queue, the faulted workers gone, one left serving.
    expect(await queue.snapshot()).toMatchObject({ length: 0, running: 0, waiting: 0 });
    // One worker to start with, and exactly one more for each runtime fault (the last fault's
    // replacement starts once its worker has exited, just after that job settled).
    await expect.poll(() => exited.length, { timeout: 10_000 }).toBe(faults);
    await expect.poll(() => workers.length, { timeout: 10_000 }).toBe(1 + faults);
  } finally {
    clearInterval(watcher);
    await queue.shutdown({ graceMs: 0 });
  }
}, 180_000);
