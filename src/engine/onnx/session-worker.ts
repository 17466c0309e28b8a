/**
 * The thread the onnx runtime computes in (see remote.ts). A session run is one blocking native
 * call; here it blocks only this thread, so the engine's thread stays free to report progress and
 * hear a cancel while a long step runs.
 *
 * Messages in: prepare / evaluate / losses / release, each with an id; out: one reply per id.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isStylizeError } from '../errors.js';
import type { ScaleObjective } from '../runtime/types.js';
import { startOnnxRuntime, type OnnxProvider, type OnnxRuntimeOptions } from './runtime.js';
import type { WorkerReply, WorkerRequest } from './remote.js';

const port = parentPort!;
const init = workerData as { provider: OnnxProvider; options: OnnxRuntimeOptions };

function describe(e: unknown): { code: string; message: string } {
  return isStylizeError(e) ? { code: e.code, message: e.message } : { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

try {
  const runtime = await startOnnxRuntime(init.provider, init.options);
  const objectives = new Map<number, ScaleObjective>();
  const reply = (r: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(r, transfer);

  port.on('message', (m: WorkerRequest) => {
    void (async () => {
      try {
        switch (m.op) {
          case 'prepare':
            objectives.set(m.id, await runtime.prepare(m.images, m.loss));
            reply({ id: m.id, ok: true });
            break;
          case 'evaluate': {
            const e = await objectives.get(m.objective)!.evaluate(m.pixels);
            // Copied out of onnxruntime's buffer, which the next run may reuse, then moved.
            const grad = Float32Array.from(e.grad);
            reply({ id: m.id, ok: true, info: e.info, grad }, [grad.buffer]);
            break;
          }
          case 'losses':
            reply({ id: m.id, ok: true, info: await objectives.get(m.objective)!.losses(m.pixels) });
            break;
          case 'release':
            objectives.get(m.objective)?.dispose();
            objectives.delete(m.objective);
            break;
        }
      } catch (e) {
        reply({ id: m.id, ok: false, error: describe(e) });
      }
    })();
  });
  port.postMessage({ ready: true, name: runtime.name, provider: runtime.provider, threads: runtime.threads });
} catch (e) {
  port.postMessage({ ready: false, error: describe(e) });
}
