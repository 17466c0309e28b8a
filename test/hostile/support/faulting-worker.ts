/**
 * The real engine worker, except that a job whose seed is FAULT_SEED meets a real WebAssembly trap
 * inside the engine: what a pooling kernel reading out of bounds does to tfjs-wasm, reproduced on
 * purpose now that the engine refuses the inputs that used to cause it.
 */
import { parentPort } from 'node:worker_threads';
import { FAULT_SEED, wasmTrap } from '../../support/wasm-trap.js';

export { FAULT_SEED };

const port = parentPort;
if (port) {
  type Run = { type: string; request?: { options?: Record<string, unknown> } };
  // The engine reads the options first thing; reading these runs the trap, in the engine's call stack.
  const poisoned = (m: Run): Run => ({
    ...m,
    request: { ...m.request, options: new Proxy(m.request?.options ?? {}, { ownKeys: () => wasmTrap() }) },
  });
  const on = port.on.bind(port);
  port.on = ((event: string, listener: (m: Run) => void) =>
    on(event, event === 'message' ? (m: Run) => listener(m.type === 'run' && m.request?.options?.seed === FAULT_SEED ? poisoned(m) : m) : listener)) as typeof port.on;
  await import('../../../src/queue/engine-worker.js');
}
