/**
 * Winograd F(2×2, 3×3) and F(4×4, 3×3) against onnxruntime's direct Conv (+ bias, ReLU), one
 * VGG19 conv shape at a time: ms per run of each (interleaved, fastest of --reps), their ratios
 * to direct, and the largest difference of the outputs relative to the largest output.
 *
 *   npx tsx bench/winograd.ts [--sizes 256,512] [--reps 5] [--threads 0]
 *
 * One JSON line per (size, cin, cout, h, w). The rule in src/engine/onnx/winograd.ts
 * (`winogradFor`) is drawn from these.
 */
import os from 'node:os';
import { Command } from 'commander';
import * as ort from 'onnxruntime-node';
import { GraphBuilder } from '../src/engine/onnx/graph-builder.js';
import { F2, F4, winogradConv, winogradFor } from '../src/engine/onnx/winograd.js';
import { mulberry32 } from '../src/engine/stylize.js';

const flags = new Command('winograd')
  .option('--sizes <list>', 'long sides', '256,512')
  .option('--reps <n>', 'runs of each variant per shape', '5')
  .option('--threads <n>', 'intra-op threads, 0 = one per core', '0')
  .parse(process.argv)
  .opts<{ sizes: string; reps: string; threads: string }>();
const sizes = flags.sizes.split(',').map(Number);
const reps = Number(flags.reps);
const threadsArg = Number(flags.threads);
const threads = threadsArg > 0 ? threadsArg : os.availableParallelism();

/** (cin, cout, pool level) of each 3×3 conv with ≥ 64 input channels in a step, forward and input gradient. */
const SHAPES: [number, number, number][] = [
  [64, 64, 0],
  [64, 128, 1],
  [128, 64, 1],
  [128, 128, 1],
  [128, 256, 2],
  [256, 128, 2],
  [256, 256, 2],
  [256, 512, 3],
  [512, 256, 3],
  [512, 512, 3],
  [512, 512, 4],
];

function random(n: number, seed: number, scale: number): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

const options: ort.InferenceSession.SessionOptions = {
  intraOpNumThreads: threads,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
  logSeverityLevel: 3,
};

function graph(winograd: false | typeof F2, cin: number, cout: number, h: number, w: number, kernel: Float32Array, bias: Float32Array): Uint8Array {
  const b = new GraphBuilder();
  const x = b.input('x', [1, cin, h, w]);
  const bb = b.float(bias, [cout], 'bias');
  const y = winograd
    ? winogradConv(b, { input: x, kernel: b.float(kernel, [cout, cin, 3, 3], 'k'), cin, cout, h, w, bias: bb, name: 'l' }, winograd)
    : b.op('Conv', [x, b.float(kernel, [cout, cin, 3, 3], 'k'), bb], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] });
  // A ReLU after, as in the network (onnxruntime fuses it into a direct Conv).
  b.output(b.op('Relu', [y]), 'y', [1, cout, h, w]);
  return b.encode('conv');
}

// The fastest run: the least disturbed by other work on a shared machine.
const best = (v: number[]) => Math.min(...v);

for (const size of sizes) {
  for (const [cin, cout, level] of SHAPES) {
    // The bench's picture is 512×341 at 512 (3:2).
    const h = Math.floor(Math.round((size * 2) / 3) / 2 ** level);
    const w = Math.floor(size / 2 ** level);
    const kernel = random(cout * cin * 9, 1, Math.sqrt(2 / (9 * cin)));
    const bias = random(cout, 2, 0.1);
    const feeds = { x: new ort.Tensor('float32', random(cin * h * w, 3, 1), [1, cin, h, w]) };
    const variants = [false, F2, F4] as const;
    const sessions = await Promise.all(variants.map((v) => ort.InferenceSession.create(graph(v, cin, cout, h, w, kernel, bias), options)));
    const outs = await Promise.all(sessions.map(async (s) => (await s.run(feeds)).y!.data as Float32Array));
    const a = outs[0]!;
    const top = a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const diff = (c: Float32Array) => c.reduce((m, v, i) => Math.max(m, Math.abs(v - a[i]!)), 0) / top;
    const times: number[][] = sessions.map(() => []);
    for (let r = 0; r < reps; r++) {
      for (const [i, s] of sessions.entries()) {
        const t = performance.now();
        await s.run(feeds);
        times[i]!.push(performance.now() - t);
      }
    }
    const [directMs, f2Ms, f4Ms] = times.map(best) as [number, number, number];
    process.stdout.write(
      `${JSON.stringify({ size, cin, cout, h, w, directMs: +directMs.toFixed(1), f2Ms: +f2Ms.toFixed(1), f4Ms: +f4Ms.toFixed(1), f2Ratio: +(f2Ms / directMs).toFixed(3), f4Ratio: +(f4Ms / directMs).toFixed(3), rule: winogradFor(cin, cout, h, w)?.m ?? 'direct', f2MaxRelDiff: +diff(outs[1]!).toExponential(2), f4MaxRelDiff: +diff(outs[2]!).toExponential(2) })}\n`,
    );
    await Promise.all(sessions.map((s) => s.release()));
  }
}
