/**
 * Picks and initialises the tfjs backend once per process.
 *
 *   initBackend(choice = 'auto', { threads, timeoutMs }) → { name, threads }
 *   currentBackend() → the last result, or undefined before the first init
 *
 * `auto` tries tensorflow-gpu (@tensorflow/tfjs-node-gpu) → tensorflow (@tensorflow/tfjs-node) →
 * wasm → cpu. A tfjs-node that is missing or whose native binding fails to load (npm 11 may skip
 * its install script) counts as absent. An explicit choice that cannot start throws
 * StylizeError('backend-unavailable').
 *
 * Calling again with `auto` or the same choice returns the same result; an explicit different
 * choice switches the global tfjs backend (each backend is initialised at most once).
 *
 * Wasm runs multithreaded (see wasm-threads.ts) with `threads` workers (0 = all cores, capped at
 * 8, the pool tfjs pre-spawns); if the threaded start fails or takes longer than `timeoutMs`, it
 * falls back to one thread. The result reports the thread count actually in use.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { StylizeError } from '../errors.js';
import type { BackendName } from '../types.js';
import { terminateWasmWorkers, wasmWorkerCount, withFileBackedBlobs } from './wasm-threads.js';

/** The backends tfjs provides (the onnx ones are onnxruntime's: see onnx/runtime.ts). */
export type TfjsBackendName = Exclude<BackendName, 'onnx' | 'onnx-cuda'>;
export type TfjsBackendChoice = 'auto' | TfjsBackendName;

export interface BackendInfo {
  name: TfjsBackendName;
  /** Threads the backend computes with (wasm: XNNPACK pool size; cpu: 1). */
  threads: number;
}

export interface BackendOptions {
  /** Wasm threads; 0 (default) = one per core. Ignored by the other backends. */
  threads?: number;
  /** Give up on a threaded wasm start after this long and use one thread. Default 30 s. */
  timeoutMs?: number;
}

/** Most pthread workers the tfjs wasm build pre-spawns and its C++ side accepts. */
export const MAX_WASM_THREADS = 8;

const AUTO_ORDER: readonly TfjsBackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
const NODE_PACKAGES: Partial<Record<TfjsBackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};
/** tfjs-node and tfjs-node-gpu both register under this name. */
const TF_NODE_BACKEND = 'tensorflow';

let current: BackendInfo | undefined;
const started = new Map<TfjsBackendName, BackendInfo>();
/** Serialises concurrent calls: tfjs has one global backend. */
let queue: Promise<unknown> = Promise.resolve();

export function currentBackend(): BackendInfo | undefined {
  return current;
}

export function initBackend(choice: TfjsBackendChoice = 'auto', opts: BackendOptions = {}): Promise<BackendInfo> {
  const run = queue.then(() => select(choice, opts));
  queue = run.catch(() => undefined);
  return run;
}

async function select(choice: TfjsBackendChoice, opts: BackendOptions): Promise<BackendInfo> {
  if (current !== undefined && (choice === 'auto' || choice === current.name)) return current;
  if (choice !== 'auto') {
    current = await start(choice, opts);
    return current;
  }
  const reasons: string[] = [];
  for (const name of AUTO_ORDER) {
    try {
      current = await start(name, opts);
      return current;
    } catch (e) {
      reasons.push(`${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw new StylizeError('backend-unavailable', `No compute backend could start (${reasons.join('; ')}).`);
}

async function start(name: TfjsBackendName, opts: BackendOptions): Promise<BackendInfo> {
  const known = started.get(name);
  if (known !== undefined) {
    if (!(await tf.setBackend(backendKey(name)))) {
      throw new StylizeError('backend-unavailable', `The ${name} backend stopped working.`);
    }
    return known;
  }
  let info: BackendInfo;
  switch (name) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      info = await startTfNode(name);
      break;
    case 'wasm':
      info = await startWasm(opts);
      break;
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new StylizeError('backend-unavailable', 'The cpu backend failed to start.');
      info = { name: 'cpu', threads: 1 };
      break;
  }
  started.set(name, info);
  return info;
}

function backendKey(name: TfjsBackendName): string {
  return name === 'tensorflow-gpu' ? TF_NODE_BACKEND : name;
}

async function startTfNode(name: 'tensorflow' | 'tensorflow-gpu'): Promise<BackendInfo> {
  const pkg = NODE_PACKAGES[name] as string;
  try {
    // A variable specifier: these optional packages have no types when absent.
    await import(pkg);
  } catch (e) {
    throw new StylizeError(
      'backend-unavailable',
      `The ${name} backend needs ${pkg}, which is not installed or failed to load its native library; ` +
        `install it (npm install ${pkg}) or choose backend wasm or cpu.`,
      { cause: e },
    );
  }
  // tfjs-node registers itself on the tfjs-core it resolves; a second copy would leave ours without it.
  if (tf.findBackendFactory(TF_NODE_BACKEND) === null) {
    throw new StylizeError(
      'backend-unavailable',
      `${pkg} loaded a different copy of @tensorflow/tfjs-core than this program; ` +
        `reinstall so that both use @tensorflow/tfjs ${tf.version.tfjs}.`,
    );
  }
  if (!(await tf.setBackend(TF_NODE_BACKEND))) {
    throw new StylizeError('backend-unavailable', `The ${name} backend (${pkg}) failed to start.`);
  }
  return { name, threads: os.availableParallelism() };
}

type WasmModule = typeof import('@tensorflow/tfjs-backend-wasm');

async function startWasm(opts: BackendOptions): Promise<BackendInfo> {
  let wasm: WasmModule;
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (e) {
    throw new StylizeError('backend-unavailable', 'The wasm backend (@tensorflow/tfjs-backend-wasm) is not installed.', {
      cause: e,
    });
  }
  const factory = tf.findBackendFactory('wasm');
  const wanted = Math.min(MAX_WASM_THREADS, opts.threads === undefined || opts.threads <= 0 ? os.availableParallelism() : opts.threads);

  if (wanted > 1 && factory !== null) {
    const threads = await tryThreadedWasm(wasm, wanted, opts.timeoutMs ?? 30_000);
    if (threads !== undefined) return { name: 'wasm', threads };
    // Start again from a clean registration, single-threaded.
    await terminateWasmWorkers();
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', factory, 2);
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasm.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) {
    throw new StylizeError('backend-unavailable', 'The wasm backend failed to start.');
  }
  return { name: 'wasm', threads: 1 };
}

/** The thread count in use, or undefined when the threaded start failed or timed out. */
async function tryThreadedWasm(wasm: WasmModule, threads: number, timeoutMs: number): Promise<number | undefined> {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    const ok = await withFileBackedBlobs(threads, () => Promise.race([tf.setBackend('wasm'), timeout]));
    if (!ok || wasmWorkerCount() === 0) return undefined;
    return wasm.getThreadsCount();
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
