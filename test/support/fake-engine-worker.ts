/**
 * An engine worker for tests about something other than the engine (chat, queue, CLI): it speaks
 * the real worker protocol (src/queue/protocol.ts) and refuses what the engine refuses (the
 * engine's own checkRequest: options, pictures, limits, shapes), but instead of optimising it
 * waits for each step of the request's schedule (its `iterations` over its scales), a step
 * costing as the engine's do, by its pixels, so a job's length is set by its size and iterations. It sends progress at each scale and every progress interval,
 * the previews asked for, stops between steps when cancelled, and delivers a real picture made
 * with sharp (the content at the asked size, tinted with the first style's mean colour, mixed with
 * the style picture by the strength, grained by the seed): so a lower strength is measurably
 * closer to the photo, as the engine's is. A job with an `initImage` (HD) keeps that picture,
 * grained, as the engine keeps the layout of the picture it starts from.
 *
 * A job whose seed is FAULT_SEED meets a real WebAssembly trap at its first step (a runtime
 * fault: the host must replace this worker); one whose seed is STUCK_SEED ignores cancel, as a
 * kernel stuck in one long step would, so only terminating the thread stops it.
 *
 * Settings ride on the entry URL's query (fakeEngineWorker() builds it), since the host passes
 * `workerData` to the real engine's settings:
 *   stepMs   milliseconds per step of a 128 px scale; a scale of s px takes stepMs·(s/128)² (default 10)
 *   loadMs   how long "loading the weights" takes before `ready` (default 0)
 */
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { autoSchedule, checkRequest, OUTPUT_MIME, resolveOptions, StylizeError, type BackendName, type Scale } from '../../src/engine/index.js';
import type { FromWorker, ToWorker, WorkerInit } from '../../src/queue/protocol.js';
import type { JobProgress } from '../../src/queue/types.js';
import { FAULT_SEED, wasmTrap } from './wasm-trap.js';

export { FAULT_SEED };

export const STUCK_SEED = 666_017;
/** What the fake says it runs on (`ready`); jobs' stats carry it too. */
export const FAKE_BACKEND: BackendName = 'cpu';

export interface FakeEngineSettings {
  stepMs?: number;
  loadMs?: number;
}

/** The entry to pass as the queue's `workerEntry`. */
export function fakeEngineWorker(settings: FakeEngineSettings = {}): URL {
  const url = new URL(import.meta.url);
  for (const [key, value] of Object.entries(settings)) if (value !== undefined) url.searchParams.set(key, String(value));
  return url;
}

type Run = Extract<ToWorker, { type: 'run' }>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function wireError(e: unknown, fatal = false): Extract<FromWorker, { type: 'failed' }>['error'] {
  const error = e instanceof Error ? e : new Error(String(e));
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, code: typeof code === 'string' ? code : undefined, stack: error.stack, ...(fatal ? { fatal } : {}) };
}

/** The share of the style picture in the fake's result at a strength (unset paints as 0.5 does). */
export const styleShare = (strength: number | undefined) => 0.6 * (strength ?? 0.5);

/**
 * The content at the output size, tinted with the style's mean colour, mixed with the style picture
 * by the strength and grained by the seed: a real picture, the same for the same seed and another
 * for another (as Reroll expects).
 */
async function picture(run: Run, seed: number, strength: number | undefined, size: number, format: 'png' | 'jpeg' | 'webp'): Promise<{ bytes: Uint8Array; width: number; height: number }> {
  const style = run.request.styles[0]!.bytes;
  const { channels } = await sharp(style).stats();
  const [r, g, b] = channels.map((c) => Math.round(c.mean));
  const init = run.request.initImage;
  if (init) {
    // Already painted: its layout stays; only the grain is new.
    const { data, info } = await sharp(init).resize(size, size, { fit: 'inside' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    return encode(grained(data, seed, () => 0), info, format);
  }
  const tinted = sharp(run.request.content).rotate().resize(size, size, { fit: 'inside' }).removeAlpha().tint({ r: r ?? 128, g: g ?? 128, b: b ?? 128 });
  const { data, info } = await tinted.raw().toBuffer({ resolveWithObject: true });
  const painting = await sharp(style).rotate().resize(info.width, info.height, { fit: 'cover' }).removeAlpha().toColourspace('srgb').raw().toBuffer();
  const share = styleShare(strength);
  return encode(grained(data, seed, (k) => share * (painting[k]! - data[k]!)), info, format);
}

/** Each value moved by `shift(k)` and ±8 levels of grain (xorshift32 from the seed), in place. */
function grained(data: Buffer, seed: number, shift: (k: number) => number): Buffer {
  let state = seed >>> 0 || 1;
  for (let k = 0; k < data.length; k++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    data[k] = Math.min(255, Math.max(0, Math.round(data[k]! + shift(k)) + ((state >>> 0) % 17) - 8));
  }
  return data;
}

async function encode(data: Buffer, info: { width: number; height: number; channels: number }, format: 'png' | 'jpeg' | 'webp'): Promise<{ bytes: Uint8Array; width: number; height: number }> {
  const raw = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels as 1 | 2 | 3 | 4 } });
  const encoded = await (format === 'png' ? raw.png() : format === 'webp' ? raw.webp() : raw.jpeg()).toBuffer();
  // A fresh buffer of its own: Node's pooled Buffers cannot be transferred.
  return { bytes: new Uint8Array(encoded), width: info.width, height: info.height };
}

/** The long side fitted to `size`, as the engine sizes each scale. */
function fit(image: { width?: number; height?: number }, size: number): { width: number; height: number } {
  const w = image.width ?? size;
  const h = image.height ?? size;
  const k = size / Math.max(w, h);
  return { width: Math.max(1, Math.round(w * k)), height: Math.max(1, Math.round(h * k)) };
}

function main(): void {
  const port = parentPort;
  if (!port) throw new Error('fake-engine-worker.ts must run inside a worker thread');
  const init = workerData as WorkerInit;
  const query = new URL(import.meta.url).searchParams;
  const stepMs = Number(query.get('stepMs') ?? 10);
  const loadMs = Number(query.get('loadMs') ?? 0);
  const intervalMs = init.progressIntervalMs ?? 2000;
  const cancelled = new Set<string>();
  const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

  const runJob = async (run: Run): Promise<void> => {
    const { id, previewAt } = run;
    const started = performance.now();
    try {
      const limits = { maxSize: init.engine.maxSize, limits: init.engine.limits };
      await checkRequest(run.request, limits);
      const opts = resolveOptions(run.request.options, { maxSize: init.engine.maxSize });
      const plan: Scale[] = Array.isArray(opts.scales) ? opts.scales : autoSchedule(opts.size, opts.iterations);
      const totalSteps = plan.reduce((sum, s) => sum + s.iterations, 0);
      const content = await sharp(run.request.content).rotate().metadata();
      let step = 0;
      let nextPreview = 0;
      let lastSent = -Infinity;
      for (const [index, scale] of plan.entries()) {
        for (let i = 0; i < scale.iterations; i++) {
          if (cancelled.has(id) && opts.seed !== STUCK_SEED) throw new StylizeError('cancelled', 'The job was cancelled.');
          if (opts.seed === FAULT_SEED) wasmTrap();
          await sleep(stepMs * (scale.size / 128) ** 2);
          step += 1;
          const elapsedMs = performance.now() - started;
          let crossed = false;
          while (nextPreview < previewAt.length && step / totalSteps >= previewAt[nextPreview]!) {
            nextPreview += 1;
            crossed = true;
          }
          if (!crossed && i > 0 && elapsedMs - lastSent < intervalMs) continue;
          lastSent = elapsedMs;
          const shown = crossed ? await picture(run, opts.seed, opts.strength, scale.size, 'png') : { bytes: undefined, ...fit(content, scale.size) };
          const loss = 1000 / step;
          const progress: JobProgress = {
            scale: index + 1,
            scales: plan.length,
            width: shown.width,
            height: shown.height,
            step,
            totalSteps,
            losses: { content: loss / 2, style: loss / 2, tv: 0, total: loss },
            elapsedMs,
            etaMs: (elapsedMs / step) * (totalSteps - step),
            ...(shown.bytes ? { preview: shown.bytes } : {}),
          };
          post({ type: 'progress', id, progress }, shown.bytes ? [shown.bytes.buffer as ArrayBuffer] : []);
        }
      }
      const out = await picture(run, opts.seed, opts.strength, opts.size, opts.format);
      const ms = performance.now() - started;
      const losses = { content: 1, style: 1, tv: 0, total: 2 };
      post(
        {
          type: 'done',
          id,
          result: {
            image: out.bytes,
            mime: OUTPUT_MIME[opts.format],
            width: out.width,
            height: out.height,
            stats: {
              backend: FAKE_BACKEND,
              threads: 1,
              width: out.width,
              height: out.height,
              seed: opts.seed,
              scales: plan.map((s) => ({ width: out.width, height: out.height, iterations: s.iterations, losses, ms: ms / plan.length })),
              finalLosses: losses,
              ms,
            },
          },
        },
        [out.bytes.buffer as ArrayBuffer],
      );
    } catch (e) {
      post({ type: 'failed', id, error: wireError(e, (e as Error).name === 'RuntimeError') });
    } finally {
      cancelled.delete(id);
    }
  };

  port.on('message', (message: ToWorker) => {
    if (message.type === 'run') void runJob(message);
    else cancelled.add(message.id);
  });
  setTimeout(() => post({ type: 'ready', backend: FAKE_BACKEND, threads: 1 }), loadMs);
}

if (parentPort) main();
