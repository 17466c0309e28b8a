/**
 * The instant lane's worker thread: it opens only the fast network (no VGG19) and makes one fast
 * picture at a time, so decoding, the network and encoding stay off the chat process's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { FastEngineConfig } from '../engine/index.js';
import { ownedBytes, toWireError, transferListOf } from './protocol.js';
import type { FromLane, ToLane } from './fast-lane-protocol.js';

const port = parentPort;
if (!port) throw new Error('fast-lane-worker.ts must run inside a worker thread');

function post(message: FromLane, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

async function main(): Promise<void> {
  const { createFastEngine } = await import('../engine/index.js');
  const engine = createFastEngine(workerData as FastEngineConfig);
  try {
    await engine.ready();
  } catch (e) {
    post({ type: 'init-failed', error: toWireError(e) });
    return;
  }
  port!.on('message', (message: ToLane) => {
    void engine.stylize(message.request).then(
      (result) => {
        const image = ownedBytes(result.image);
        post({ type: 'done', id: message.id, result: { ...result, image } }, transferListOf([image]));
      },
      (e: unknown) => post({ type: 'failed', id: message.id, error: toWireError(e) }),
    );
  });
  post({ type: 'ready' });
}


void main();
