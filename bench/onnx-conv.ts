/**
 * The onnx objective step (losses + image gradient) with direct vs Winograd convs, each with
 * onnxruntime's threads spinning or not: one evaluation of each in turn, so that all see the same
 * load on a shared machine. Per size: ms per step (fastest and median of --reps) and the ratio to
 * the old setting (direct, spinning): of the fastest steps, and the median of the per-round
 * ratios. In-process sessions, no L-BFGS.
 *
 *   npx tsx bench/onnx-conv.ts [--sizes 256,512] [--reps 6] [--threads 0]
 */
import { Command } from 'commander';
import { startOnnxRuntime } from '../src/engine/onnx/runtime.js';
import type { ConvAlgorithm } from '../src/engine/onnx/vgg-graph.js';
import { DEFAULT_STYLE_LAYERS } from '../src/engine/defaults.js';
import type { LossSpec, ScaleImages } from '../src/engine/runtime/types.js';
import { mulberry32 } from '../src/engine/stylize.js';
import { WEIGHTS } from '../test/support/fixtures.js';

const flags = new Command('onnx-conv')
  .option('--sizes <list>', 'long sides', '256,512')
  .option('--reps <n>', 'steps of each variant per size', '6')
  .option('--threads <n>', 'intra-op threads, 0 = one per core', '0')
  .parse(process.argv)
  .opts<{ sizes: string; reps: string; threads: string }>();
const sizes = flags.sizes.split(',').map(Number);
const reps = Number(flags.reps);
const threads = Number(flags.threads);
const variants: { name: string; conv: ConvAlgorithm; spinning: boolean }[] = [
  { name: 'direct+spin (old)', conv: 'direct', spinning: true },
  { name: 'winograd+spin', conv: 'winograd', spinning: true },
  { name: 'direct', conv: 'direct', spinning: false },
  { name: 'winograd (default)', conv: 'winograd', spinning: false },
];

const loss: LossSpec = { contentLayer: 'block4_conv2', styleLayers: DEFAULT_STYLE_LAYERS, contentWeight: 5, styleWeight: 100, tvWeight: 1e-3, pooling: 'avg' };
function picture(width: number, height: number, seed: number) {
  const random = mulberry32(seed);
  return { width, height, data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(random() * 256)) };
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;

const runtimes = await Promise.all(variants.map(({ conv, spinning }) => startOnnxRuntime('cpu', { weights: process.env.VGG19_WEIGHTS ?? WEIGHTS, threads, conv, spinning })));
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
  const old = times[0]!;
  for (const [k, { name }] of variants.entries()) {
    const t = times[k]!;
    row[name] = {
      bestMs: Math.round(Math.min(...t)),
      medianMs: Math.round(median(t)),
      bestOverOld: +(Math.min(...t) / Math.min(...old)).toFixed(3),
      medianOverOldPerRound: +median(t.map((v, i) => v / old[i]!)).toFixed(3),
    };
  }
  process.stdout.write(`${JSON.stringify(row)}\n`);
  for (const o of objectives) o.dispose();
}
for (const r of runtimes) r.dispose();
