/**
 * `tsx bench/quality.ts [flags]`: the 9 shared pairs (3 photos × 3 styles) through the engine,
 * each scored by the measures of issue 11 (test/engine/support/quality-measures.ts): luminance
 * correlation with the photo at 64 px, style loss as a fraction of the photo's, the border frame
 * (frameRatio, and frameLine beside lineInside, what lines 4-19 px in score), the roughness
 * (mean squared neighbour difference), the grain index beside the style's own, the share of
 * foreign colours (chroma neither picture holds), the share of bare (untextured) tiles and the
 * dot lattice (support/lattice.ts) over the photo's and the painting's own. One
 * JSON line per pair on stdout; the results and a contact sheet (photos down the left, styles
 * along the top) go to --out.
 *
 *   --size 256  --iterations <n> (engine default)  --strength <s>  --options '{"tvWeight":0.01}'
 *   --backend onnx  --out /work/scratch/quality/<name>
 *   --pairs chicago:udnie,...  (default: the 9 pairs the tests use; `all`: the 40 of ../shared/images)
 *   --reference  also score each result under torch_ref.py eval (the PyTorch reference loss)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import sharp, { type OverlayOptions } from 'sharp';
import { fitLongSide, resizeRgb } from '../src/engine/image.js';
import { createEngine, type BackendChoice, type StylizeOptions } from '../src/engine/index.js';
import { startRuntime } from '../src/engine/runtime/index.js';
import { IMAGES_DIR, SHARED_DIR, WEIGHTS, image } from '../test/support/fixtures.js';
import { FAST_MODELS_DIR } from '../test/engine/support/fast-models.js';
import { decoded } from '../test/engine/support/picture-metrics.js';
import { latticeExcess } from '../test/engine/support/lattice.js';
import {
  bareShare,
  composition,
  foreignColours,
  frameLine,
  frameRatio,
  grainIndex,
  roughness,
  styleAtResultSize,
  styleFraction,
} from '../test/engine/support/quality-measures.js';

/** Rows/columns from each side whose line score shows what the picture's own lines score. */
const INSIDE_OFFSETS = Array.from({ length: 16 }, (_, i) => i + 4);

const flags = new Command('quality')
  .option('--size <px>', 'long side of each result', '256')
  .option('--iterations <n>', 'evaluation budget (default: the engine default)')
  .option('--strength <s>', 'strength (default: unset)')
  .option('--options <json>', 'further engine options as JSON', '{}')
  .option('--backend <name>', 'engine backend', 'onnx')
  .option('--pairs <list>', 'photo:style pairs (file names without .jpg), or all for the 40')
  .option('--reference', 'score each result with torch_ref.py eval too')
  .option('--out <dir>', 'where the PNGs and the contact sheet go', '/work/scratch/quality/latest')
  .option('--tile <px>', 'long side of each picture in the contact sheet', '256')
  .parse(process.argv)
  .opts<{
    size: string;
    iterations?: string;
    strength?: string;
    options: string;
    backend: string;
    pairs?: string;
    reference?: boolean;
    out: string;
    tile: string;
  }>();

const TEST_PHOTOS = ['chicago', 'golden_gate', 'statue_of_liberty'];
const TEST_STYLES = ['udnie', 'red_circles', 'sketch'];
const ALL_PHOTOS = [...TEST_PHOTOS, 'tubingen', 'hoovertowernight'];
const ALL_STYLES = [
  ...TEST_STYLES,
  'starry_night',
  'the_scream',
  'shipwreck',
  'seated-nude',
  'woman-with-hat-matisse',
];
const everyPair = (photos: string[], styles: string[]) =>
  photos.flatMap((p) => styles.map((s) => [p, s] as [string, string]));
const pairs =
  flags.pairs === 'all'
    ? everyPair(ALL_PHOTOS, ALL_STYLES)
    : flags.pairs
      ? flags.pairs.split(',').map((p) => p.split(':') as [string, string])
      : everyPair(TEST_PHOTOS, TEST_STYLES);
const PHOTOS = [...new Set(pairs.map(([p]) => p))];
const STYLES = [...new Set(pairs.map(([, s]) => s))];

const size = Number(flags.size);
const options: Partial<StylizeOptions> = {
  size,
  seed: 0,
  ...(flags.iterations ? { iterations: Number(flags.iterations) } : {}),
  ...(flags.strength ? { strength: Number(flags.strength) } : {}),
  ...(JSON.parse(flags.options) as Partial<StylizeOptions>),
};
mkdirSync(flags.out, { recursive: true });

const engine = await createEngine({
  weights: WEIGHTS,
  backend: flags.backend as BackendChoice,
  maxSize: 1024,
  fastModels: FAST_MODELS_DIR,
});
const measurer = await startRuntime('onnx', { weights: WEIGHTS, threads: 0 });
const tiles = new Map<string, string>();
for (const [photoName, styleName] of pairs) {
  const photoBytes = image(`${photoName}.jpg`);
  const styleBytes = image(`${styleName}.jpg`);
  const t0 = performance.now();
  const result = await engine.stylize({ content: photoBytes, styles: [{ bytes: styleBytes }], options });
  const ms = Math.round(performance.now() - t0);
  const file = path.join(flags.out, `${photoName}+${styleName}.png`);
  writeFileSync(file, result.image);
  tiles.set(`${photoName}+${styleName}`, file);
  const out = await decoded(result.image);
  const photo = await decoded(photoBytes);
  const photoHere = await resizeRgb(photo, out.width, out.height);
  const style = await decoded(styleBytes);
  const styleHere = await styleAtResultSize(style, out);
  const row: Record<string, unknown> = {
    pair: `${photoName}+${styleName}`,
    width: out.width,
    height: out.height,
    ms,
    composition: +(await composition(out, photo)).toFixed(3),
    styleFraction: +(await styleFraction(measurer, out, photo, style)).toFixed(4),
    frame: +frameRatio(out, photoHere).worst.toFixed(2),
    framePicture: +frameRatio(out).worst.toFixed(2),
    frameLine: +frameLine(out, photoHere).worst.toFixed(2),
    // What lines deeper in score (rows/columns 4-19 from each side, mean of their worst sides).
    lineInside: +(
      INSIDE_OFFSETS.reduce((a, k) => a + frameLine(out, photoHere, [k]).worst, 0) / INSIDE_OFFSETS.length
    ).toFixed(2),
    roughness: +roughness(out).toFixed(1),
    photoRoughness: +roughness(photoHere).toFixed(1),
    grain: +grainIndex(out).toFixed(3),
    styleGrain: +grainIndex(styleHere).toFixed(3),
    foreignColours: +foreignColours(out, photoHere, styleHere).toFixed(4),
    bare: +bareShare(out).toFixed(3),
    lattice: +latticeExcess(out, photoHere, styleHere).toFixed(2),
    losses: result.stats.finalLosses,
    guard: result.stats.compositionGuard?.map((g) => [g.scale, +g.factor.toFixed(3), +g.composition.toFixed(3)]),
    scaleCompositions: result.stats.scales.map((s) => (s.composition === undefined ? null : +s.composition.toFixed(3))),
    start: result.stats.start,
  };
  if (flags.reference) {
    const ref = execFileSync(
      '/usr/bin/python3',
      [
        path.join(SHARED_DIR, 'reference', 'torch_ref.py'),
        'eval',
        path.join(IMAGES_DIR, `${photoName}.jpg`),
        path.join(IMAGES_DIR, `${styleName}.jpg`),
        file,
      ],
      {
        encoding: 'utf8',
      },
    );
    row.reference = JSON.parse(ref.trim().split('\n').pop()!);
  }
  process.stdout.write(`${JSON.stringify(row)}\n`);
  // Rewritten after every pair, so a long run can be looked at while it goes.
  await writeSheet();
}
engine.dispose();
measurer.dispose();

// Contact sheet: a header row of styles, a header column of photos, the results between.
async function thumb(file: string): Promise<Buffer> {
  const meta = await sharp(file).metadata();
  const dims = fitLongSide(meta.width!, meta.height!, Number(flags.tile));
  return sharp(file).removeAlpha().resize(dims.width, dims.height).png().toBuffer();
}
async function writeSheet(): Promise<void> {
  const cell = Number(flags.tile) + 4;
  const layers: OverlayOptions[] = [];
  for (const [j, s] of STYLES.entries())
    layers.push({ input: await thumb(path.join(IMAGES_DIR, `${s}.jpg`)), left: (j + 1) * cell, top: 0 });
  for (const [i, p] of PHOTOS.entries()) {
    layers.push({ input: await thumb(path.join(IMAGES_DIR, `${p}.jpg`)), left: 0, top: (i + 1) * cell });
    for (const [j, s] of STYLES.entries()) {
      const file = tiles.get(`${p}+${s}`);
      if (file) layers.push({ input: await thumb(file), left: (j + 1) * cell, top: (i + 1) * cell });
    }
  }
  const sheet = path.join(flags.out, 'sheet.png');
  await sharp({
    create: {
      width: (STYLES.length + 1) * cell,
      height: (PHOTOS.length + 1) * cell,
      channels: 3,
      background: { r: 255, g: 255, b: 255 },
    },
  })
    .composite(layers)
    .png()
    .toFile(sheet);
}
process.stderr.write(`contact sheet: ${path.join(flags.out, 'sheet.png')}\n`);
