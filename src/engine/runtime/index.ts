/**
 * Picks the runtime an engine computes with.
 *
 *   createRuntime(choice, { weights, threads }) → Runtime
 *
 * `auto` tries, in order of speed on the machines we measured: onnx-cuda (onnxruntime-node with
 * its CUDA provider installed and an NVIDIA GPU present), tensorflow-gpu (only when a GPU is
 * visible: without one tfjs-node-gpu would run on the CPU, slower than onnx), onnx (CPU, 6-8× the
 * wasm engine per step), tensorflow, wasm, cpu. The first that starts wins; the reasons the others
 * gave are kept in `skipped` for the log. An explicit choice that cannot start throws
 * StylizeError('backend-unavailable') with one sentence saying why.
 */
import { existsSync } from 'node:fs';
import { StylizeError } from '../errors.js';
import { startOnnxProcess } from '../onnx/remote.js';
import type { BackendChoice, BackendName } from '../types.js';
import type { Runtime } from './types.js';

export type { Runtime, ScaleObjective, LossSpec, ScaleImages } from './types.js';

export const AUTO_ORDER: readonly BackendName[] = ['onnx-cuda', 'tensorflow-gpu', 'onnx', 'tensorflow', 'wasm', 'cpu'];

export interface RuntimeOptions {
  weights: string;
  /** Threads (onnx intra-op, wasm workers); 0 = one per core. */
  threads?: number;
}

export interface ChosenRuntime {
  runtime: Runtime;
  /** Why `auto` passed over the runtimes before it. */
  skipped: string[];
}

const gpuVisible = () => existsSync('/dev/nvidiactl') || existsSync('/dev/nvidia0');

export async function startRuntime(name: BackendName, opts: RuntimeOptions): Promise<Runtime> {
  const threads = opts.threads ?? 0;
  switch (name) {
    case 'onnx':
      return startOnnxProcess('cpu', { weights: opts.weights, threads });
    case 'onnx-cuda':
      return startOnnxProcess('cuda', { weights: opts.weights, threads });
    default: {
      // Loaded only here: an engine on onnx never loads tfjs (a test checks).
      const { startTfjsRuntime } = await import('../tfjs/runtime.js');
      return startTfjsRuntime(name, { weights: opts.weights, threads });
    }
  }
}

export async function createRuntime(choice: BackendChoice, opts: RuntimeOptions): Promise<ChosenRuntime> {
  if (choice !== 'auto') return { runtime: await startRuntime(choice, opts), skipped: [] };
  const skipped: string[] = [];
  for (const name of AUTO_ORDER) {
    if (name === 'tensorflow-gpu' && !gpuVisible()) {
      skipped.push('tensorflow-gpu: no NVIDIA GPU is visible');
      continue;
    }
    try {
      return { runtime: await startRuntime(name, opts), skipped };
    } catch (e) {
      // Missing weights are not a runtime's fault: every runtime would fail the same way.
      if (e instanceof StylizeError && e.code !== 'backend-unavailable') throw e;
      skipped.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw new StylizeError('backend-unavailable', `No compute backend could start (${skipped.join('; ')}).`);
}
