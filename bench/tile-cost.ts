/**
 * What tiling costs per megapixel, measured so that the machine's drift cancels: one engine in one
 * process runs one-scale jobs at the untiled reference size and at each tiled size in turn
 * (A B A B …, --rounds times), and each round's tiled figure is divided by the reference figures
 * measured just before and after it. Prints one JSON line per tiled size: ms per evaluation per
 * megapixel of canvas for each, every round's ratio, and their median (issue 27's target ≤ 1.25).
 *
 *   tsx bench/tile-cost.ts --sizes 2048 --rounds 3 [--evaluations 3] [--reference 1024]
 */
import { Command } from 'commander';
import { createEngine } from '../src/engine/index.js';
import { marginFor } from '../src/engine/margin.js';
import { image, WEIGHTS } from '../test/support/fixtures.js';
import { msPerEvaluation } from './step-time.js';

const opt = new Command('tile-cost')
  .option('--sizes <list>', 'tiled sizes', '2048')
  .option('--reference <px>', 'the untiled size every figure is set against', '1024')
  .option('--rounds <n>', 'rounds of reference, tiled', '3')
  .option('--evaluations <n>', 'timed evaluations per job (after one untimed)', '3')
  .option('--content <file>', 'photo', 'chicago.jpg')
  .option('--style <file>', 'style', 'udnie.jpg')
  .parse()
  .opts<{ sizes: string; reference: string; rounds: string; evaluations: string; content: string; style: string }>();

const sizes = opt.sizes.split(',').map(Number);
const reference = Number(opt.reference);
const evaluations = Number(opt.evaluations);
const engine = await createEngine({ weights: process.env.VGG19_WEIGHTS ?? WEIGHTS, backend: 'onnx', maxSize: Math.max(reference, ...sizes) });
const request = { content: image(opt.content), styles: [{ bytes: image(opt.style) }], options: {} };

async function msPerMp(size: number): Promise<number> {
  const r = await msPerEvaluation(engine, request, size, evaluations);
  const m = marginFor(size);
  const mp = ((r.width + 2 * m) * (r.height + 2 * m)) / 1e6;
  const figure = r.ms / mp;
  process.stderr.write(`tile-cost: ${size} px ${Math.round(r.ms)} ms per evaluation, ${Math.round(figure)} per megapixel\n`);
  return figure;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const refs: number[] = [await msPerMp(reference)];
const tiled = new Map<number, number[]>(sizes.map((s) => [s, []]));
const ratios = new Map<number, number[]>(sizes.map((s) => [s, []]));
for (let round = 0; round < Number(opt.rounds); round++) {
  for (const size of sizes) {
    const before = refs.at(-1)!;
    const figure = await msPerMp(size);
    const after = await msPerMp(reference);
    refs.push(after);
    tiled.get(size)!.push(figure);
    ratios.get(size)!.push(figure / ((before + after) / 2));
  }
}
for (const size of sizes) {
  const r = ratios.get(size)!;
  process.stdout.write(
    `${JSON.stringify({
      part: 'large-interleaved',
      size,
      reference,
      msPerEvaluationPerMpReference: refs.map(Math.round),
      msPerEvaluationPerMp: tiled.get(size)!.map(Math.round),
      ratios: r.map((x) => +x.toFixed(3)),
      ratioMedian: +median(r).toFixed(3),
    })}\n`,
  );
}
engine.dispose();
process.exit(0);
