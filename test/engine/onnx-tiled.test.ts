/**
 * The exact tiled objective (onnx/tiled-objective.ts) against the whole picture's graph, with the
 * real weights and onnxruntime: small pictures cut into many tiles give the same losses and image
 * gradient, within float error, for every loss option (regions, two styles, TV, colour
 * preservation's grey pictures, balance, max pooling). One case reads only layers down to
 * block3, whose narrow margin (10 px) makes every crop smaller than the picture; the default
 * layers' (70 px) crops are smaller at the corners. Every pooled map is cut to what its tile's
 * interior needs, so a margin one cell short fails these comparisons.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOnnxRuntime } from '../../src/engine/onnx/runtime.js';
import { mapSpans, planTiles, tileMargins } from '../../src/engine/onnx/tile-plan.js';
import type { LossSpec, Runtime, ScaleImages } from '../../src/engine/runtime/types.js';
import { mulberry32 } from '../../src/engine/stylize.js';
import { DEFAULT_STYLE_LAYERS } from '../../src/engine/defaults.js';
import { lossLayers } from '../../src/engine/onnx/vgg-graph.js';
import { WEIGHTS } from '../support/fixtures.js';

let whole: Runtime;
/**
 * Gradient tiles of 16 px for the shallow layers' pictures, of 64 px for the default layers' (each
 * crop then adds 70 px a side); the stats pass cuts larger tiles, as a large job's does, so the
 * two passes' tiles (and their region boxes) differ, and both run on one session. The default
 * layers' tiles have Winograd convs, as a large job's do; the shallow ones' direct convs.
 */
let fine: Runtime;
let coarse: Runtime;
const FINE = 16;
beforeAll(async () => {
  whole = await startOnnxRuntime('cpu', { weights: WEIGHTS, threads: 2, tiles: { minPixels: Infinity, interior: FINE, conv: 'direct', arena: false } });
  fine = await startOnnxRuntime('cpu', { weights: WEIGHTS, threads: 2, tiles: { minPixels: 0, interior: FINE, statsInterior: 48, conv: 'direct', arena: true } });
  coarse = await startOnnxRuntime('cpu', { weights: WEIGHTS, threads: 2, tiles: { minPixels: 0, interior: 64, statsInterior: 128, conv: 'winograd', arena: true } });
});
afterAll(() => {
  whole?.dispose();
  fine?.dispose();
  coarse?.dispose();
});

/** A smooth random picture (blobs, not per-pixel noise), so the deep layers see structure. */
function picture(width: number, height: number, seed: number, grey = false) {
  const random = mulberry32(seed);
  const waves = Array.from({ length: 6 }, () => ({ fx: random() * 0.3, fy: random() * 0.3, p: random() * 6, c: [random(), random(), random()] }));
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let v = 128 + 40 * (random() - 0.5);
        for (const w of waves) v += 30 * (grey ? 1 : w.c[c]!) * Math.sin(w.fx * x + w.fy * y + w.p);
        data[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
      }
    }
  }
  if (grey) for (let i = 0; i < data.length; i += 3) data[i + 1] = data[i + 2] = data[i]!;
  return { width, height, data };
}

const defaults: LossSpec = { contentLayer: 'block4_conv2', styleLayers: DEFAULT_STYLE_LAYERS, contentWeight: 5, styleWeight: 100, tvWeight: 1e-3, pooling: 'avg' };
const shallow: LossSpec = {
  contentLayer: 'block2_conv2',
  styleLayers: [
    { layer: 'block1_conv1', weight: 1 },
    { layer: 'block2_conv1', weight: 0.5 },
    { layer: 'block3_conv1', weight: 2 },
  ],
  contentWeight: 2,
  styleWeight: 1e3,
  tvWeight: 0.05,
  pooling: 'max',
};
const style = (seed: number, weight = 1, grey = false) => ({ image: picture(70, 57, seed, grey), weight });

// [title, loss, styles, picture size, grey pictures]
const cases: [string, LossSpec, ScaleImages['styles'], { width: number; height: number }, boolean?][] = [
  ['default layers, avg pooling, one style; tiles cut on all four sides', defaults, [style(3)], { width: 336, height: 320 }],
  ['layers down to block3 only (every crop smaller than the picture), max pooling, strong TV', shallow, [style(3)], { width: 123, height: 97 }],
  ['two weighted styles, max pooling', { ...defaults, pooling: 'max' }, [style(3, 2), style(4, 1)], { width: 163, height: 128 }],
  ['regional style, 2×2 regions', { ...defaults, regionalStyle: 0.5 }, [style(3)], { width: 170, height: 131 }],
  ['regional style, 3×3 regions, shallow layers', { ...shallow, regionalStyle: 0.4, regionGrid: 3 }, [style(3)], { width: 123, height: 97 }],
  ['balanced style term with regions', { ...defaults, regionalStyle: 0.5, photoStyleDistance: 3e4 }, [style(3)], { width: 163, height: 128 }],
  ['colour preservation (grey pictures: luminance-only transfer)', defaults, [style(5, 1, true)], { width: 163, height: 128 }, true],
];

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe('exact tiled objective', () => {
  it('cuts the test pictures into many tiles, crops smaller than the picture', () => {
    const deep = tileMargins(lossLayers(defaults));
    expect(deep).toEqual({ margins: [70, 34, 16, 6, 1], align: 16 });
    const narrow = tileMargins(lossLayers(shallow));
    expect(narrow).toEqual({ margins: [10, 4, 1], align: 4 });
    const tiles = planTiles(97, 123, FINE, narrow.margins[0]!, narrow.align);
    expect(tiles.length).toBeGreaterThanOrEqual(30);
    expect(planTiles(131, 170, 64, deep.margins[0]!, deep.align).length).toBe(6);
    expect(planTiles(131, 170, 128, deep.margins[0]!, deep.align).length).toBe(1);
    expect(planTiles(97, 123, 48, narrow.margins[0]!, narrow.align).length).toBeGreaterThanOrEqual(4);
    // The first case's picture has tiles whose crops are cut on every side.
    const inner = planTiles(320, 336, 64, deep.margins[0]!, deep.align).filter((t) => t.cropRows.from > 0 && t.cropCols.from > 0 && t.cropRows.to < 320 && t.cropCols.to < 336);
    expect(inner.length).toBeGreaterThan(0);
    // Their maps are cut on every side at every pooling: only what the interior's features need is computed.
    const spans = mapSpans(inner[0]!, 320, 336, deep.margins);
    expect(spans.slice(1).every((s) => s.trim.every((t) => t > 0))).toBe(true);
    expect(spans.at(-1)!.rows.to - spans.at(-1)!.rows.from).toBe((inner[0]!.rows.to - inner[0]!.rows.from) / 16 + 2);
    expect(tiles.every((t) => t.cropRows.to - t.cropRows.from < 97 && t.cropCols.to - t.cropCols.from < 123)).toBe(true);
  });

  it.each(cases)('%s: same losses and image gradient as the whole picture', async (_title, loss, styles, size, grey) => {
    const content = picture(size.width, size.height, 7, grey);
    const images: ScaleImages = { ...size, content, styles };
    const x = Float32Array.from(picture(size.width, size.height, 11, grey).data, (v) => v + 0.25);
    const a = await (await whole.prepare(images, loss)).evaluate(x);
    const tiled = loss.contentLayer === shallow.contentLayer ? fine : coarse;
    const b = await (await tiled.prepare(images, loss)).evaluate(x);
    expect(rel(b.info.content, a.info.content)).toBeLessThan(1e-4);
    expect(rel(b.info.style, a.info.style)).toBeLessThan(1e-4);
    expect(rel(b.info.tv, a.info.tv)).toBeLessThan(1e-4);
    let diff = 0;
    let norm = 0;
    const scale = a.grad.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const errors = new Float32Array(a.grad.length);
    for (let i = 0; i < a.grad.length; i++) {
      diff += (b.grad[i]! - a.grad[i]!) ** 2;
      norm += a.grad[i]! ** 2;
      errors[i] = Math.abs(b.grad[i]! - a.grad[i]!) / scale;
    }
    errors.sort();
    const worst = errors[errors.length - 1]!;
    const nearlyAll = errors[Math.floor(errors.length * 0.999)]!;
    // (The balance's factor is summed in float64 here, in float32 by the whole graph: ~1e-4 apart.)
    expect(Math.sqrt(diff / norm)).toBeLessThan(3e-4);
    // A few values may differ more: a crop's convs round differently from the whole picture's, and
    // where two max-pool inputs or a ReLU's input are that close, the gradient takes the other path.
    expect(nearlyAll).toBeLessThan(1e-3);
    expect(worst).toBeLessThan(1e-2);
    // Losses alone agree too (the saved picture's score).
    const l = await (await tiled.prepare(images, loss)).losses(x);
    expect(rel(l.total, a.info.total)).toBeLessThan(1e-4);
  });
});
