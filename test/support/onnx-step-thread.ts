/**
 * A worker thread that starts the onnx runtime and steps a 128 px objective until it is
 * terminated, saying 'stepping' once the first step is done (test/engine/onnx-process.test.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { startRuntime } from '../../src/engine/runtime/index.js';
import { stepping } from './onnx-step.js';

const runtime = await startRuntime('onnx', { weights: (workerData as { weights: string }).weights, threads: 2 });
await stepping(runtime, () => parentPort!.postMessage('stepping'));
