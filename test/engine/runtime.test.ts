/**
 * Choosing a runtime: what a user gets from STYLIZE_BACKEND on this (GPU-less, CUDA-less) machine.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createEngine, isStylizeError } from '../../src/engine/index.js';
import { createRuntime } from '../../src/engine/runtime/index.js';
import { WEIGHTS } from '../support/fixtures.js';

const require = createRequire(import.meta.url);
const cudaProvider = path.join(
  path.dirname(require.resolve('onnxruntime-node')),
  '..',
  'bin',
  'napi-v6',
  process.platform,
  process.arch,
  'libonnxruntime_providers_cuda.so',
);
const hasCuda = existsSync(cudaProvider) && existsSync('/dev/nvidiactl');

describe.runIf(!hasCuda)('without CUDA', () => {
  it('refuses onnx-cuda in one sentence that says why and what to choose instead', async () => {
    const err = await createEngine({ weights: WEIGHTS, backend: 'onnx-cuda' }).catch((e: unknown) => e);
    expect(isStylizeError(err) && err.code).toBe('backend-unavailable');
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(/onnx-cuda.*(CUDA provider is not installed|no NVIDIA GPU).*choose onnx/);
  });

  it('auto falls through to onnx on the CPU, with the reasons it passed over the others', async () => {
    const { runtime, skipped } = await createRuntime('auto', { weights: WEIGHTS, threads: 2 });
    try {
      expect([runtime.name, runtime.library, runtime.provider, runtime.threads]).toEqual(['onnx', 'onnxruntime', 'cpu', 2]);
      expect(skipped.map((s) => s.split(':')[0])).toEqual(['onnx-cuda', 'tensorflow-gpu']);
    } finally {
      runtime.dispose();
    }
  });
});

it('an explicit onnx choice runs with the threads it is given', async () => {
  const { runtime } = await createRuntime('onnx', { weights: WEIGHTS, threads: 1 });
  expect(runtime.threads).toBe(1);
  runtime.dispose();
});

it('a missing weights file is reported as such by auto, not as "no backend"', async () => {
  const err = await createRuntime('auto', { weights: '/nonexistent/model.json' }).catch((e: unknown) => e);
  expect(isStylizeError(err) && err.code).toBe('weights-missing');
});

describe('the onnx path never loads tfjs', () => {
  const here = path.dirname(fileURLToPath(import.meta.url));
  /** An engine on `backend` in a fresh process (on onnx: a small job, then the session process's runtime in it): what it loaded. */
  async function probe(backend: string): Promise<{ backend: string; bytes: number; inProcess: number; tensorflowModules: number; tfjsEngine: boolean }> {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(here, 'support', 'tfjs-probe.ts'), backend], {
      cwd: path.resolve(here, '..', '..'),
      timeout: 240_000,
    });
    return JSON.parse(stdout.split('\n').find((l) => l.startsWith('{'))!);
  }

  it('a job on onnx, and the onnx runtime run in-process, load no @tensorflow module (an engine on cpu does)', async () => {
    // The cpu engine shows the probe sees tfjs where it is loaded.
    const cpu = await probe('cpu');
    expect(cpu).toMatchObject({ backend: 'cpu', tfjsEngine: true });
    expect(cpu.tensorflowModules).toBeGreaterThan(0);
    const onnx = await probe('onnx');
    expect(onnx).toMatchObject({ backend: 'onnx', tensorflowModules: 0, tfjsEngine: false });
    expect(onnx.bytes).toBeGreaterThan(0);
    expect(onnx.inProcess).toBeGreaterThan(0);
  }, 480_000);
});
