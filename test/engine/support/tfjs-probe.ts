/**
 * Starts an engine on one backend in this fresh process; on onnx runs a small job, then the onnx
 * runtime itself in-process (what the onnx session process loads). Prints one JSON line: the
 * @tensorflow modules this process loaded.
 *   tsx test/engine/support/tfjs-probe.ts <backend>
 */
import { createRequire } from 'node:module';
import { createEngine, type BackendChoice } from '../../../src/engine/index.js';
import { DEFAULT_OPTIONS } from '../../../src/engine/defaults.js';
import { lossSpec } from '../../../src/engine/loss-spec.js';
import { startOnnxRuntime } from '../../../src/engine/onnx/runtime.js';
import { WEIGHTS } from '../../support/fixtures.js';

const backend = (process.argv[2] ?? 'onnx') as BackendChoice;
const picture = (width: number, height: number) => ({ width, height, data: Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 37) % 256) });
const png = async (width: number, height: number) => {
  const { default: sharp } = await import('sharp');
  return new Uint8Array(await sharp(Buffer.from(picture(width, height).data), { raw: { width, height, channels: 3 } }).png().toBuffer());
};
const engine = await createEngine({ weights: WEIGHTS, backend });
let bytes = 0;
let inProcess = 0;
if (backend === 'onnx') {
  bytes = (await engine.stylize({ content: await png(48, 40), styles: [{ bytes: await png(40, 40) }], options: { size: 64, iterations: 2 } })).image.length;
  const runtime = await startOnnxRuntime('cpu', { weights: WEIGHTS, threads: 1 });
  // The default loss: the session the runtime built at start serves it (no second build).
  const loss = lossSpec(DEFAULT_OPTIONS, 24);
  const objective = await runtime.prepare({ width: 24, height: 20, content: picture(24, 20), styles: [{ image: picture(20, 20), weight: 1 }] }, loss);
  inProcess = (await objective.evaluate(Float32Array.from(picture(24, 20).data))).grad.length;
  runtime.dispose();
}
engine.dispose();
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((file) => file.includes('@tensorflow'));
console.log(JSON.stringify({ backend: engine.backend, bytes, inProcess, tensorflowModules: loaded.length, tfjsEngine: '_tfengine' in globalThis }));
process.exit(0);
