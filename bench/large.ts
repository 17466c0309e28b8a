/**
 * One large job in this (fresh) process, for `npm run bench -- --large` (bench/run.ts runs one per
 * size, each alone, so each peak RSS is its job's own): a job of one scale at --size px of
 * --evaluations evaluations, or the default coarse-to-fine job (--default), on chicago + udnie.
 * Prints one JSON line: ms per evaluation (from the second on) and per megapixel of canvas, whether
 * the top scale was tiled, peak RSS of this process and the onnx process together, total time.
 *
 *   tsx bench/large.ts --size 2048 --evaluations 3 [--tile_above <pixels>] [--default] [--out x.png]
 */
import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { createEngine } from '../src/engine/index.js';
import { marginFor } from '../src/engine/margin.js';
import { TILED_MIN_PIXELS } from '../src/engine/onnx/size-policy.js';
import { childProcesses } from '../src/util/process-tree.js';
import { image, WEIGHTS } from '../test/support/fixtures.js';
import { FAST_MODELS_DIR } from '../test/engine/support/fast-models.js';

const opt = new Command('large')
  .option('--size <px>', 'long side', '2048')
  .option('--evaluations <n>', 'evaluations of the one scale', '3')
  .option('--default', 'the default job (automatic schedule) instead of one scale')
  .option('--content <file>', 'photo', 'chicago.jpg')
  .option('--style <file>', 'style', 'udnie.jpg')
  .option('--out <file>', 'write the result here')
  .parse()
  .opts<{ size: string; evaluations: string; default?: boolean; content: string; style: string; out?: string }>();

const size = Number(opt.size);
let peakChildren = 0;
const sample = () => {
  peakChildren = Math.max(peakChildren, childProcesses().reduce((s, c) => s + c.peakRssBytes, 0));
};
const sampler = setInterval(sample, 500);

const engine = await createEngine({ weights: process.env.VGG19_WEIGHTS ?? WEIGHTS, backend: 'onnx', maxSize: Math.max(size, 1024), fastModels: FAST_MODELS_DIR });
const started = performance.now();
const ended = new Map<number, number>();
const etas: { scale: number; iteration: number; at: number; etaMs: number }[] = [];
let canvas = { width: 0, height: 0 };
let lastScale = 0;
let lastLogged = -1;
const options = opt.default ? { size } : { size, scales: [{ size, iterations: Number(opt.evaluations) }] };
const result = await engine.stylize(
  { content: image(opt.content), styles: [{ bytes: image(opt.style) }], options },
  {
    progressIntervalMs: 0,
    onProgress(e) {
      if (e.iteration > 0 && e.iteration !== lastLogged) process.stderr.write(`large ${size}: scale ${e.scale}/${e.scales} evaluation ${(lastLogged = e.iteration)} at ${Math.round(performance.now() - started)} ms\n`);
      lastScale = e.scales;
      if (e.scale === e.scales && !ended.has(e.iteration)) ended.set(e.iteration, performance.now());
      if (e.etaMs !== undefined) etas.push({ scale: e.scale, iteration: e.iteration, at: performance.now() - started, etaMs: e.etaMs });
      canvas = { width: e.width + 2 * marginFor(size), height: e.height + 2 * marginFor(size) };
    },
  },
);
const totalMs = performance.now() - started;
clearInterval(sampler);
sample();
if (opt.out) writeFileSync(opt.out, result.image);
const marks = [...ended.entries()].filter(([k]) => k >= 1).sort((a, b) => a[0] - b[0]);
const msPerEvaluation = marks.length >= 2 ? (marks.at(-1)![1] - marks[0]![1]) / (marks.at(-1)![0] - marks[0]![0]) : NaN;
const megapixels = (canvas.width * canvas.height) / 1e6;
const tileAbove = Number(process.env.STYLIZE_ONNX_TILE_ABOVE || TILED_MIN_PIXELS);
// ETA error from the first estimate on the top scale: estimated end vs actual end, relative to the time then left.
const topScale = etas.filter((e) => e.scale === lastScale);
const etaErrors = topScale.map((e) => (e.at + e.etaMs - totalMs) / Math.max(1, totalMs - e.at));
// The same error relative to the whole top scale's time (from its first estimate to the end): what a user reads as "the ETA was off by x % of the wait".
const topFrom = topScale[0]?.at ?? totalMs;
const etaScaleErrors = topScale.map((e) => (e.at + e.etaMs - totalMs) / Math.max(1, totalMs - topFrom));
process.stdout.write(
  `${JSON.stringify({
    part: 'large',
    size,
    job: opt.default ? 'default' : `one scale, ${opt.evaluations} evaluations`,
    content: opt.content,
    style: opt.style,
    canvas: `${canvas.width}x${canvas.height}`,
    tiled: canvas.width * canvas.height > tileAbove,
    msPerEvaluation: Math.round(msPerEvaluation),
    msPerEvaluationPerMp: Math.round(msPerEvaluation / megapixels),
    totalMs: Math.round(totalMs),
    jobPeakRssMb: Math.round(process.resourceUsage().maxRSS / 1024 + peakChildren / 2 ** 20),
    ...(etaErrors.length
      ? { etaErrorFirst: +etaErrors[0]!.toFixed(3), etaErrorWorst: +Math.max(...etaErrors.map(Math.abs)).toFixed(3), etaErrorWorstOfTopScale: +Math.max(...etaScaleErrors.map(Math.abs)).toFixed(3) }
      : {}),
  })}\n`,
);
engine.dispose();
process.exit(0);
