/**
 * A real WebAssembly trap on demand, for workers whose runtime must fault: what a kernel reading
 * out of bounds does to tfjs-wasm, reproduced on purpose. Jobs whose seed is FAULT_SEED meet it.
 */
export const FAULT_SEED = 666_013;

// (module (func (export "trap") unreachable))
const TRAP_MODULE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x08, 0x01,
  0x04, 0x74, 0x72, 0x61, 0x70, 0x00, 0x00, 0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b,
]);

// The project's lib settings have no DOM types, so WebAssembly is typed here as far as used.
type Wasm = { Module: new (b: Uint8Array) => object; Instance: new (m: object) => { exports: Record<string, unknown> } };

/** Runs a WebAssembly `unreachable`: throws a WebAssembly.RuntimeError from inside the caller's stack. */
export function wasmTrap(): never {
  const wasm = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;
  (new wasm.Instance(new wasm.Module(TRAP_MODULE)).exports.trap as () => void)();
  throw new Error('the WebAssembly trap did not trap');
}
