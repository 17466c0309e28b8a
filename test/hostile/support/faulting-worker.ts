/**
 * The real engine worker, except that a job whose seed is FAULT_SEED meets a real WebAssembly trap
 * inside the engine: what a pooling kernel reading out of bounds does to tfjs-wasm, reproduced on
 * purpose now that the engine refuses the inputs that used to cause it.
 */
import { parentPort } from 'node:worker_threads';

export const FAULT_SEED = 666_013;

// (module (func (export "trap") unreachable))
const TRAP_MODULE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x08, 0x01,
  0x04, 0x74, 0x72, 0x61, 0x70, 0x00, 0x00, 0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b,
]);

const port = parentPort;
if (port) {
  // The project's lib settings have no DOM types, so WebAssembly is typed here as far as used.
  const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object) => { exports: Record<string, unknown> } } }).WebAssembly;
  const trap = new wasm.Instance(new wasm.Module(TRAP_MODULE)).exports.trap as () => void;
  type Run = { type: string; request?: { options?: Record<string, unknown> } };
  // The engine reads the options first thing; reading these runs the trap, in the engine's call stack.
  const poisoned = (m: Run): Run => ({
    ...m,
    request: { ...m.request, options: new Proxy(m.request?.options ?? {}, { ownKeys: () => (trap(), []) }) },
  });
  const on = port.on.bind(port);
  port.on = ((event: string, listener: (m: Run) => void) =>
    on(event, event === 'message' ? (m: Run) => listener(m.type === 'run' && m.request?.options?.seed === FAULT_SEED ? poisoned(m) : m) : listener)) as typeof port.on;
  await import('../../../src/queue/engine-worker.js');
}
