/**
 * The onnx objective step (losses + image gradient) with direct vs Winograd convs, one evaluation
 * of each in turn, so that both see the same load on a shared machine: ms per step (fastest and
 * median of --reps) per size, and the Winograd/direct ratio. In-process sessions, no L-BFGS.
 *
 *   npx tsx bench/onnx-conv.ts [--sizes 256,512] [--reps 6] [--threads 0]
 */
import { startOnnxRuntime } from '../src/engine/onnx/runtime.js';
import type { ConvAlgorithm } from '../src/engine/onnx/vgg-graph.js';
import { DEFAULT_STYLE_LAYERS } from '../src/engine/defaults.js';
import type { LossSpec, ScaleImages } from '../src/engine/runtime/types.js';
import { mulberry32 } from '../src/engine/stylize.js';
import { WEIGHTS } from '../test/support/fixtures.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const sizes = arg('sizes', '256,512').split(',').map(Number);
const reps = Number(arg('reps', '6'));
const threads = Number(arg('threads', '0'));
const algorithms: ConvAlgorithm[] = ['direct', 'winograd'];

const loss: LossSpec = { contentLayer: 'block4_conv2', styleLayers: DEFAULT_STYLE_LAYERS, contentWeight: 5, styleWeight: 100, tvWeight: 1e-3, pooling: 'avg' };
function picture(width: number, height: number, seed: number) {
  const random = mulberry32(seed);
  return { width, height, data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(random() * 256)) };
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

const runtimes = await Promise.all(algorithms.map((conv) => startOnnxRuntime('cpu', { weights: process.env.VGG19_WEIGHTS ?? WEIGHTS, threads, conv })));
for (const size of sizes) {
  // The bench picture's 3:2.
  const [width, height] = [size, Math.round((size * 2) / 3)];
  const images: ScaleImages = { width, height, content: picture(width, height, 1), styles: [{ image: picture(width, height, 2), weight: 1 }] };
  const x = Float32Array.from(picture(width, height, 3).data);
  const objectives = [];
  for (const r of runtimes) objectives.push(await r.prepare(images, loss));
  // One untimed step each: session setup and first-run allocation.
  for (const o of objectives) await o.evaluate(x);
  const times: number[][] = objectives.map(() => []);
  for (let i = 0; i < reps; i++) {
    for (const [k, o] of objectives.entries()) {
      const t = performance.now();
      await o.evaluate(x);
      times[k]!.push(performance.now() - t);
    }
  }
  const row: Record<string, unknown> = { size, width, height, reps };
  for (const [k, conv] of algorithms.entries()) row[conv] = { bestMs: Math.round(Math.min(...times[k]!)), medianMs: Math.round(median(times[k]!)) };
  // Per-pair ratios: each Winograd step against the direct step just before it.
  const pairs = times[1]!.map((t, i) => t / times[0]![i]!);
  row.winogradOverDirect = { best: +(Math.min(...times[1]!) / Math.min(...times[0]!)).toFixed(3), medianOfPairs: +median(pairs).toFixed(3) };
  process.stdout.write(`${JSON.stringify(row)}\n`);
  for (const o of objectives) o.dispose();
}
for (const r of runtimes) r.dispose();
