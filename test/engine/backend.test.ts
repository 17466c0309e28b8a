import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { currentBackend, initBackend, MAX_WASM_THREADS } from '../../src/engine/tfjs/backend.js';
import { isStylizeError } from '../../src/engine/errors.js';
import { wasmWorkerCount } from '../../src/engine/tfjs/wasm-threads.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const probe = path.join(here, 'support', 'backend-probe.ts');
const require = createRequire(import.meta.url);

interface ProbeResult {
  name?: string;
  threads?: number;
  active?: string;
  sum?: number;
  error?: string;
  message?: string;
}

/** initBackend in a fresh process, as the CLI or the worker thread would run it. */
async function runProbe(...args: string[]): Promise<ProbeResult> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', probe, ...args], {
    cwd: path.resolve(here, '..', '..'),
    timeout: 90_000,
  });
  const line = stdout.split('\n').find((l) => l.startsWith('{'));
  if (line === undefined) throw new Error(`probe printed no result: ${stdout}`);
  return JSON.parse(line) as ProbeResult;
}

/** Whether a tfjs-node package can really load (its native binding may be missing). */
function loads(pkg: string): boolean {
  try {
    require(pkg);
    return true;
  } catch {
    return false;
  }
}

const hasGpu = loads('@tensorflow/tfjs-node-gpu');
const hasNode = loads('@tensorflow/tfjs-node');
const wantThreads = Math.min(2, os.availableParallelism(), MAX_WASM_THREADS);

describe('initBackend', () => {
  it('starts wasm with the requested threads and says so', async () => {
    const info = await initBackend('wasm', { threads: 2 });
    expect(info).toEqual({ name: 'wasm', threads: wantThreads });
    expect(tf.getBackend()).toBe('wasm');
    if (wantThreads > 1) expect(wasmWorkerCount()).toBeGreaterThan(0);
    expect(currentBackend()).toBe(info);
  });

  it('is idempotent: the same or an auto choice returns the same result', async () => {
    const first = await initBackend('wasm', { threads: 2 });
    expect(await initBackend('wasm', { threads: 2 })).toBe(first);
    expect(await initBackend('auto')).toBe(first);
  });

  it('threaded wasm computes the same convolution as the cpu backend', async () => {
    const x = tf.randomNormal([1, 24, 20, 16], 0, 1, 'float32', 1) as tf.Tensor4D;
    const k = tf.randomNormal([3, 3, 16, 24], 0, 1, 'float32', 2) as tf.Tensor4D;
    await initBackend('wasm', { threads: 2 });
    const onWasm = await tf.conv2d(x, k, 1, 'same').data();
    expect((await initBackend('cpu')).name).toBe('cpu');
    const onCpu = await tf.conv2d(x, k, 1, 'same').data();
    let worst = 0;
    onCpu.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - onWasm[i]!))));
    expect(worst).toBeLessThan(1e-3);
    // Switching back reuses the running wasm module.
    expect((await initBackend('wasm')).threads).toBe(wantThreads);
  });

  it.runIf(!hasNode)('refuses an explicit tensorflow choice when tfjs-node cannot load, with a clear sentence', async () => {
    const err = await initBackend('tensorflow').catch((e: unknown) => e);
    expect(isStylizeError(err) && err.code).toBe('backend-unavailable');
    expect((err as Error).message).toMatch(/@tensorflow\/tfjs-node.*wasm or cpu/);
    expect(tf.getBackend()).toBe('wasm'); // the failed attempt left the running backend alone
  });

  it.runIf(!hasGpu)('refuses an explicit tensorflow-gpu choice when tfjs-node-gpu cannot load', async () => {
    const err = await initBackend('tensorflow-gpu').catch((e: unknown) => e);
    expect(isStylizeError(err) && err.code).toBe('backend-unavailable');
    expect((err as Error).message).toContain('@tensorflow/tfjs-node-gpu');
  });

  it('auto picks the first backend that starts in a fresh process', async () => {
    const expected = hasGpu ? 'tensorflow-gpu' : hasNode ? 'tensorflow' : 'wasm';
    const result = await runProbe('auto', '0');
    expect(result.name).toBe(expected);
    expect(result.active).toBe(expected === 'wasm' ? 'wasm' : 'tensorflow');
    expect(result.threads).toBeGreaterThanOrEqual(1);
  });

  it('falls back to one wasm thread when the threaded start times out, and still computes', async () => {
    const [fallback, single] = [await runProbe('wasm', '2', '1'), await runProbe('wasm', '1')];
    expect(fallback).toMatchObject({ name: 'wasm', threads: 1, active: 'wasm' });
    expect(fallback.sum).toBeCloseTo(single.sum!, 3);
  });
});
