/**
 * Issue 11 on the 9 shared pairs (3 photos × 3 styles), default strength, at 128 px with a cheap
 * budget so the file stays CI-sized: every pair keeps the photo's composition, clearly takes the
 * style, shows no frame along its border and no grain finer than either picture's. The measures
 * are in support/quality-measures.ts; bench/quality.ts prints the same table at any size.
 *
 * Thresholds, from runs at 128 px (16 evaluations as here; 24 in brackets):
 *   composition > 0.82 — the balanced engine scored 0.893–0.963 (0.857–0.963), 0.891–0.964 with
 *     each scale's margin, 0.891–0.956 with the chroma damping too; before the balance the
 *     red_circles pairs fell to (0.761–0.815), the style wiping out the layout;
 *   style fraction < 0.3 — the photo's own style loss cut by more than 3×: 0.070–0.199
 *     (0.041–0.178), 0.078–0.204 with margins, 0.082–0.243 with the chroma damping (the highest,
 *     statue_of_liberty + red_circles, takes the red more slowly in 16 evaluations: 0.126 before;
 *     see the note of chroma-steps.ts for the default job); the photo alone scores 1;
 *   frame line < 1 — see FRAME_LINE_MAX; grain — see grainMax.
 * With each of 3×3 regions asked for 30 % of the style term (stylize.ts, REGIONS), composition at
 * 16 evaluations: golden_gate + red_circles 0.903, + udnie 0.869, chicago + red_circles 0.909,
 * statue_of_liberty + red_circles 0.879 (0.908, 0.891, 0.920, 0.902 with one Gram).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/index.js';
import { startRuntime, type Runtime } from '../../src/engine/runtime/index.js';
import { WEIGHTS, image } from '../support/fixtures.js';
import { decoded } from './support/picture-metrics.js';
import { BARE_TILES, bareShare, composition, foreignColours, frameLine, grainIndex, styleAtResultSize, styleFraction } from './support/quality-measures.js';
import { resizeRgb } from '../../src/engine/image.js';

const PHOTOS = ['chicago', 'golden_gate', 'statue_of_liberty'];
const STYLES = ['udnie', 'red_circles', 'sketch'];
const PAIRS = PHOTOS.flatMap((p) => STYLES.map((s) => [p, s] as const));

const OPTIONS = { size: 128, iterations: 16, seed: 0 };
const COMPOSITION_MIN = 0.82;
const STYLE_FRACTION_MAX = 0.3;
/**
 * The outer 2 rows/columns of what the engine painted, each against the one 2 px further in,
 * averaged along the side with their sign (a line is lighter or darker all along; texture
 * cancels), as a multiple of how much pixels 2 apart differ inside: the "no more than
 * neighbouring pixels inside differ", read for a line. At 16 evaluations, before each scale got
 * its margin (margin.ts) the worst sides scored 0.48-2.04 (the statue pairs 1.32 and 2.04, a line
 * to be seen); with it 0.28-0.77, where lines 4-21 px inside the same pictures score 0.34-0.55 on
 * average. (Unsigned, as frameRatio, the border scored 0.75-1.55 without the margin and 0.86-1.37
 * with it: that measure counts the texture along the border too.)
 */
const FRAME_LINE_MAX = 1;
/**
 * Grain: the result's grain index (support/quality-measures.ts: neighbours' squared difference
 * over that of pixels 2 apart; pixel-sized speckle pushes it towards 1) stays below the larger of
 * the photo's and the style's own, at the result's size: no finer speckle than either picture
 * has. Measured: 0.362-0.444 against 0.422-0.536 (at 512 px, default budget: 0.275-0.304, the
 * PyTorch reference 0.304, chicago+udnie's TV 1.11× PyTorch's where the issue saw 2.6×). The
 * issue's grain (TV 2.6×, the extra all pixel-sized) would put chicago+udnie's 512 px result near 0.53.
 */
const grainMax = (measured: { photoGrain: number; styleGrain: number }) => Math.max(measured.photoGrain, measured.styleGrain);
/**
 * Colour blotches: statue_of_liberty + sketch at 128 px and 40 evaluations (where they show
 * first: a purple corner of sky, a teal side, a yellow face), as a share of pixels whose chroma
 * neither picture holds. Without the chroma damping of L-BFGS's steps (chroma-steps.ts) 9.4 %,
 * with it 4.4 %; at the default 512 px job 7.7 % and 1.4 % (PyTorch's 50 iterations 0.29 %).
 */
const FOREIGN_COLOURS_MAX = 0.06;

let engine: Engine;
let measurer: Runtime;
beforeAll(async () => {
  engine = await createEngine({ weights: WEIGHTS, backend: 'auto', maxSize: 256 });
  measurer = await startRuntime('onnx', { weights: WEIGHTS, threads: 0 });
});
afterAll(() => {
  engine?.dispose();
  measurer?.dispose();
});

describe('picture quality on the 9 shared pairs at the default strength', () => {
  it.each(PAIRS)('%s + %s: keeps the composition, takes the style, no frame, no grain', async (photoName, styleName) => {
    const photoBytes = image(`${photoName}.jpg`);
    const styleBytes = image(`${styleName}.jpg`);
    const result = await engine.stylize({ content: photoBytes, styles: [{ bytes: styleBytes }], options: OPTIONS });
    const out = await decoded(result.image);
    const photo = await decoded(photoBytes);
    const style = await decoded(styleBytes);
    const styleHere = await styleAtResultSize(style, out);
    const photoHere = await resizeRgb(photo, out.width, out.height);
    const measured = {
      composition: await composition(out, photo),
      styleFraction: await styleFraction(measurer, out, photo, style),
      frameLine: frameLine(out, photoHere).worst,
      grain: grainIndex(out),
      styleGrain: grainIndex(styleHere),
      photoGrain: grainIndex(photoHere),
      foreignColours: foreignColours(out, photoHere, styleHere),
    };
    if (process.env.QUALITY_LOG) process.stderr.write(`${photoName}+${styleName} ${JSON.stringify(measured)} ${result.stats.ms} ms\n`);
    expect(measured.composition, JSON.stringify(measured)).toBeGreaterThan(COMPOSITION_MIN);
    expect(measured.styleFraction, JSON.stringify(measured)).toBeLessThan(STYLE_FRACTION_MAX);
    expect(measured.frameLine, JSON.stringify(measured)).toBeLessThan(FRAME_LINE_MAX);
    expect(measured.grain, JSON.stringify(measured)).toBeLessThan(grainMax(measured));
  });

  it('golden_gate + red_circles at 256 px: the style reaches the whole sky, with no bare patch', async () => {
    // With one Gram of the whole picture, the bridge and the water carried all the texture and
    // left the top right sky bare: 10 of 64 tiles (0.156); with each of 3×3 regions asked for a
    // share of the style, none. 256 px at the default budget: at 128 px neither leaves a patch.
    const photoBytes = image('golden_gate.jpg');
    const styleBytes = image('red_circles.jpg');
    const result = await engine.stylize({ content: photoBytes, styles: [{ bytes: styleBytes }], options: { size: 256, seed: 0 } });
    const out = await decoded(result.image);
    const styleHere = await styleAtResultSize(await decoded(styleBytes), out);
    // A style's own blank stretches (sketch's paper) are its to keep: at most one tile more than it has.
    expect(bareShare(out)).toBeLessThanOrEqual(bareShare(styleHere) + 1 / BARE_TILES ** 2);
  });

  it('statue_of_liberty + sketch: no blotches of colours neither picture has', async () => {
    const photoBytes = image('statue_of_liberty.jpg');
    const styleBytes = image('sketch.jpg');
    const result = await engine.stylize({ content: photoBytes, styles: [{ bytes: styleBytes }], options: { size: 128, iterations: 40, seed: 0 } });
    const out = await decoded(result.image);
    const style = await decoded(styleBytes);
    const foreign = foreignColours(out, await resizeRgb(await decoded(photoBytes), out.width, out.height), await styleAtResultSize(style, out));
    expect(foreign).toBeLessThan(FOREIGN_COLOURS_MAX);
  });
});
