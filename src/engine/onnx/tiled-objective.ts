/**
 * The Gatys objective of a large picture computed tile by tile, with the same loss and image
 * gradient as the whole picture's graph (Galerne et al., "Scaling Painting Style Transfer"): per
 * evaluation, one pass over the tiles sums the Gram matrices of the whole picture (tile-graphs.ts,
 * stats), the style loss and each term's (G − Gs) then come from those sums here, and a second pass
 * takes each tile's gradient against them. Memory is bounded by a tile's crop; the picture,
 * its gradient and the content layer's target map are the only whole-size arrays. TV is computed
 * here on the picture itself.
 */
import type * as Ort from 'onnxruntime-node';
import { styleBalance, totalLosses, type LossSpec, type ScaleImages, type ScaleObjective } from '../runtime/types.js';
import { IMAGE_INPUT, contentFeaturesOutput, lossLayers, objectiveShape, objectiveWeights, planLayers, styleWeightInput, WEIGHT_INPUTS, type ObjectiveShape } from './vgg-graph.js';
import { TILE_CONTENT_SCALE, TILE_CONTENT_TARGET, TILE_GRAD, TILE_PASS_STATS, gramDiffInput, gramPartsOutput, interiorInput, levelsOf, masksPerLayer, slotEndsInput, slotPadsInput, slotStartsInput, trimInput } from './tile-graphs.js';
import { mapSpans, planTiles, spanAt, tileMargins, type MapSpan, type Span, type Tile } from './tile-plan.js';

/** The tile graph's sessions (both passes), one per slot count (built when first asked), each serving every crop size. */
export interface TileSessions {
  session(slots: number): Promise<TileSession>;
}

export interface TileSession {
  run(feeds: Record<string, Ort.Tensor>): Promise<Ort.InferenceSession.OnnxValueMapType>;
}

export interface TiledOptions {
  /** Interior side of a gradient pass's tile, px (rounded to the poolings' alignment). */
  interior: number;
  /**
   * Interior side of a stats pass's tile: a forward pass alone frees each activation once the
   * next is made, so its tiles can be larger (less margin computed twice) in the same memory.
   */
  statsInterior: number;
}

interface LayerInfo {
  layer: string;
  level: number;
  channels: number;
}

/** The loss's layers with their depth (poolings above) and channels. */
function layerInfo(shape: ObjectiveShape) {
  const plan = planLayers(lossLayers(shape), 1024, 1024);
  const levels = levelsOf(plan);
  const info = (layer: string): LayerInfo => {
    const i = plan.findIndex((p) => p.name === layer);
    return { layer, level: levels[i]!, channels: plan[i]!.cout };
  };
  return { styles: shape.styleLayers.map(({ layer }) => info(layer)), content: info(shape.contentLayer) };
}

const mapSize = (n: number, level: number) => Math.floor(n / 2 ** level);

/** Region k of r along an axis of a map of n pixels: [⌊k·n/r⌋, ⌊(k+1)·n/r⌋), as the whole graph cuts it. */
const regionSpan = (k: number, r: number, n: number): Span => ({ from: Math.floor((k * n) / r), to: k === r - 1 ? n : Math.floor(((k + 1) * n) / r) });

/** Pixels (H×W×3, interleaved) of a crop. */
function cropPixels(pixels: Float32Array | Uint8Array, width: number, rows: Span, cols: Span): Float32Array {
  const w = cols.to - cols.from;
  const out = new Float32Array((rows.to - rows.from) * w * 3);
  for (let y = rows.from; y < rows.to; y++) {
    const from = (y * width + cols.from) * 3;
    const row = pixels.subarray(from, from + w * 3);
    out.set(row, (y - rows.from) * w * 3);
  }
  return out;
}

interface PictureSize {
  height: number;
  width: number;
}

/** A picture's sums over its tiles: per style layer M partial F·Fᵀ (Float64) and, when asked, the content layer's map. */
interface PictureStats {
  parts: Map<string, Float64Array>;
  /** Elements (C·h·w) per style layer and region: the Gram's normaliser. */
  counts: Map<string, number[]>;
  content?: Float32Array;
}

export async function prepareTiled(
  ort: typeof Ort,
  sessions: TileSessions,
  images: ScaleImages,
  loss: LossSpec,
  opts: TiledOptions,
): Promise<ScaleObjective> {
  const shape = objectiveShape(loss);
  const { styles: styleInfo, content: contentInfo } = layerInfo(shape);
  const { margins, align } = tileMargins(lossLayers(shape));
  const margin = margins[0]!;
  const r = shape.regionGrid;
  const m = masksPerLayer(shape);
  const styleLevels = [...new Set(styleInfo.map((l) => l.level))];
  const tensor = (data: Float32Array, dims: number[]) => new ort.Tensor('float32', data, dims);
  const int64 = (values: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);

  const spanCache = new WeakMap<Tile, MapSpan[]>();
  /** Where a tile's maps lie at `level`, after the graph's trims. */
  function mapAt(tile: Tile, size: PictureSize, level: number): MapSpan {
    let spans = spanCache.get(tile);
    if (!spans) spanCache.set(tile, (spans = mapSpans(tile, size.height, size.width, margins)));
    return spans[level]!;
  }
  const extent = (s: Span) => s.to - s.from;

  /** A tile's interior at `level` cut by the regions, in its map's pixels, with each box's region. */
  function boxesAt(tile: Tile, size: PictureSize, level: number): { region: number; rows: Span; cols: Span }[] {
    const H = mapSize(size.height, level);
    const W = mapSize(size.width, level);
    const { rows: mapRows, cols: mapCols } = mapAt(tile, size, level);
    const top = mapRows.from;
    const left = mapCols.from;
    const rows = spanAt(tile.rows, level, size.height);
    const cols = spanAt(tile.cols, level, size.width);
    const within = (a: Span, b: Span, offset: number): Span | undefined => {
      const from = Math.max(a.from, b.from);
      const to = Math.min(a.to, b.to);
      return to > from ? { from: from - offset, to: to - offset } : undefined;
    };
    const boxes: { region: number; rows: Span; cols: Span }[] = [];
    for (let k = 0; k < m; k++) {
      const rs = within(rows, r > 0 ? regionSpan(Math.floor(k / r), r, H) : { from: 0, to: H }, top);
      const cs = within(cols, r > 0 ? regionSpan(k % r, r, W) : { from: 0, to: W }, left);
      if (rs && cs) boxes.push({ region: k, rows: rs, cols: cs });
    }
    return boxes;
  }

  /** The most boxes any tile of `tiles` has at any style layer: the slots its pass's graphs take. */
  const slotsFor = (tiles: Tile[], size: PictureSize) => Math.max(1, ...tiles.flatMap((t) => styleLevels.map((l) => boxesAt(t, size, l).length)));

  /** The gradient branch's inputs for a stats run, which does not read them (a graph takes every input on every run). */
  const placeholders = new Map<number, Record<string, Ort.Tensor>>();
  function statsRunFeeds(slots: number): Record<string, Ort.Tensor> {
    const known = placeholders.get(slots);
    if (known) return known;
    const feeds: Record<string, Ort.Tensor> = {
      [TILE_PASS_STATS]: new ort.Tensor('bool', [true], []),
      [interiorInput(contentInfo.level)]: tensor(new Float32Array(1), [1, 1, 1, 1]),
      [TILE_CONTENT_TARGET]: tensor(new Float32Array(contentInfo.channels), [1, contentInfo.channels, 1, 1]),
      [TILE_CONTENT_SCALE]: tensor(new Float32Array(1), []),
    };
    for (const level of styleLevels) feeds[slotPadsInput(level)] = int64(new Array<number>(slots * 8).fill(0), [slots, 8]);
    for (const { layer, channels: c } of styleInfo) feeds[gramDiffInput(layer)] = tensor(new Float32Array(slots * c * c), [slots, c, c]);
    placeholders.set(slots, feeds);
    return feeds;
  }
  const gradientRun: Record<string, Ort.Tensor> = { [TILE_PASS_STATS]: new ort.Tensor('bool', [false], []) };

  /**
   * A tile's slot feeds (boxes, and for the gradient pads and the content layer's interior map) and
   * each style level's region per slot (−1: unused, a 1×1 box).
   */
  function slotFeeds(tile: Tile, size: PictureSize, slots: number, gradient: boolean) {
    const feeds: Record<string, Ort.Tensor> = {};
    for (let level = 1; level < margins.length; level++) feeds[trimInput(level)] = int64(mapAt(tile, size, level).trim, [4]);
    const regions = new Map<number, number[]>();
    for (const level of styleLevels) {
      const map = mapAt(tile, size, level);
      const h = extent(map.rows);
      const w = extent(map.cols);
      const boxes = boxesAt(tile, size, level);
      const starts: number[] = [];
      const ends: number[] = [];
      const pads: number[] = [];
      for (let j = 0; j < slots; j++) {
        const b = boxes[j] ?? { rows: { from: 0, to: 1 }, cols: { from: 0, to: 1 } };
        starts.push(b.rows.from, b.cols.from);
        ends.push(b.rows.to, b.cols.to);
        pads.push(0, 0, b.rows.from, b.cols.from, 0, 0, h - b.rows.to, w - b.cols.to);
      }
      feeds[slotStartsInput(level)] = int64(starts, [slots, 2]);
      feeds[slotEndsInput(level)] = int64(ends, [slots, 2]);
      if (gradient) feeds[slotPadsInput(level)] = int64(pads, [slots, 8]);
      regions.set(level, Array.from({ length: slots }, (_, j) => boxes[j]?.region ?? -1));
    }
    if (gradient) {
      const level = contentInfo.level;
      const map = mapAt(tile, size, level);
      const h = extent(map.rows);
      const w = extent(map.cols);
      const interior = new Float32Array(h * w);
      for (const b of boxesAt(tile, size, level)) {
        for (let y = b.rows.from; y < b.rows.to; y++) interior.fill(1, y * w + b.cols.from, y * w + b.cols.to);
      }
      feeds[interiorInput(level)] = tensor(interior, [1, 1, h, w]);
    }
    return { feeds, regions };
  }

  /** Element counts of each style layer's regions (or whole map) for a picture of `size`. */
  function countsFor(size: PictureSize): Map<string, number[]> {
    return new Map(
      styleInfo.map(({ layer, level, channels }) => {
        const H = mapSize(size.height, level);
        const W = mapSize(size.width, level);
        const counts = m === 1 ? [H * W] : Array.from({ length: m }, (_, k) => {
          const rs = regionSpan(Math.floor(k / r), r, H);
          const cs = regionSpan(k % r, r, W);
          return (rs.to - rs.from) * (cs.to - cs.from);
        });
        return [layer, counts.map((n) => n * channels)];
      }),
    );
  }

  /** The stats pass over a picture's tiles. `keepContent`: the content layer's whole map is assembled too. */
  async function statsOf(pixels: Float32Array | Uint8Array, size: PictureSize, keepContent: boolean): Promise<PictureStats> {
    const parts = new Map(styleInfo.map(({ layer, channels }) => [layer, new Float64Array(m * channels * channels)]));
    const cH = mapSize(size.height, contentInfo.level);
    const cW = mapSize(size.width, contentInfo.level);
    const C = contentInfo.channels;
    const content = keepContent ? new Float32Array(C * cH * cW) : undefined;
    const tiles = planTiles(size.height, size.width, opts.statsInterior, margin, align);
    // The picture's passes share one slot count, so one session (and one arena) serves them.
    const slots = Math.max(slotsFor(tiles, size), jobSlots);
    for (const tile of tiles) {
      const crop = cropPixels(pixels, size.width, tile.cropRows, tile.cropCols);
      const h = tile.cropRows.to - tile.cropRows.from;
      const w = tile.cropCols.to - tile.cropCols.from;
      const { feeds, regions } = slotFeeds(tile, size, slots, false);
      const session = await sessions.session(slots);
      const out = await session.run({ [IMAGE_INPUT]: tensor(crop, [1, h, w, 3]), ...statsRunFeeds(slots), ...feeds });
      for (const { layer, level, channels } of styleInfo) {
        const sum = parts.get(layer)!;
        const part = out[gramPartsOutput(layer)]!.data as Float32Array;
        const cc = channels * channels;
        regions.get(level)!.forEach((k, j) => {
          if (k < 0) return;
          for (let i = 0; i < cc; i++) sum[k * cc + i]! += part[j * cc + i]!;
        });
      }
      if (content) {
        const f = out[contentFeaturesOutput]!;
        const [, , h, w] = f.dims as number[];
        const data = f.data as Float32Array;
        const rows = spanAt(tile.rows, contentInfo.level, size.height);
        const cols = spanAt(tile.cols, contentInfo.level, size.width);
        const map = mapAt(tile, size, contentInfo.level);
        const top = map.rows.from;
        const left = map.cols.from;
        for (let c = 0; c < C; c++) {
          for (let y = rows.from; y < rows.to; y++) {
            const from = c * h! * w! + (y - top) * w! + (cols.from - left);
            content.set(data.subarray(from, from + cols.to - cols.from), c * cH * cW + y * cW + cols.from);
          }
        }
      }
    }
    return { parts, counts: countsFor(size), ...(content ? { content } : {}) };
  }

  const size = { height: images.height, width: images.width };
  const tiles = planTiles(size.height, size.width, opts.interior, margin, align);
  const jobSlots = Math.max(slotsFor(tiles, size), slotsFor(planTiles(size.height, size.width, opts.statsInterior, margin, align), size));

  // Targets: the content layer's map of the content picture, the styles' blended Gram matrices.
  const photo = await statsOf(images.content.data, size, true);
  const contentMap = photo.content!;
  const total = images.styles.reduce((a, s) => a + s.weight, 0);
  const targets = new Map(styleInfo.map(({ layer, channels }) => [layer, new Float64Array(channels * channels)]));
  for (const { image, weight } of images.styles) {
    if (weight === 0) continue;
    const stats = await statsOf(image.data, image, false);
    for (const { layer } of styleInfo) {
      const sum = targets.get(layer)!;
      const parts = stats.parts.get(layer)!;
      // G = FFᵀ / (C·h·w) of the whole style picture: the sum of its regions' sums.
      const k = weight / total / stats.counts.get(layer)!.reduce((a, b) => a + b, 0);
      for (let i = 0; i < parts.length; i++) sum[i % sum.length]! += k * parts[i]!;
    }
  }

  /**
   * The style loss from a picture's sums under `weights` (objectiveWeights), and each layer's
   * D_k = ∂L/∂F's matrices ([M,C,C], regions' own term and the whole picture's term together).
   */
  function styleTerms(stats: PictureStats, weights: Record<string, number>, withDiffs: boolean) {
    let lossSum = 0;
    const diffs = new Map<string, Float32Array>();
    const share = r > 0 ? weights[WEIGHT_INPUTS.regionShare]! : 0;
    for (const { layer, channels: c } of styleInfo) {
      const lw = weights[styleWeightInput(layer)]!;
      const parts = stats.parts.get(layer)!;
      const counts = stats.counts.get(layer)!;
      const gs = targets.get(layer)!;
      const cc = c * c;
      const N = counts.reduce((a, b) => a + b, 0);
      // The whole picture's G − Gs.
      const whole = new Float64Array(cc);
      for (let k = 0; k < m; k++) for (let i = 0; i < cc; i++) whole[i]! += parts[k * cc + i]!;
      let sq = 0;
      for (let i = 0; i < cc; i++) {
        whole[i] = whole[i]! / N - gs[i]!;
        sq += whole[i]! ** 2;
      }
      const wholeWeight = r > 0 ? (1 - share) * lw : lw;
      lossSum += (wholeWeight * sq) / cc;
      const d = withDiffs ? new Float32Array(m * cc) : undefined;
      const wholeCoef = (4 * wholeWeight) / (cc * N);
      for (let k = 0; k < m; k++) {
        if (d) for (let i = 0; i < cc; i++) d[k * cc + i] = wholeCoef * whole[i]!;
        if (r === 0 || counts[k] === 0) continue;
        const regionWeight = (share / (r * r)) * lw;
        const n = counts[k]!;
        let rsq = 0;
        const regionCoef = (4 * regionWeight) / (cc * n);
        for (let i = 0; i < cc; i++) {
          const diff = parts[k * cc + i]! / n - gs[i]!;
          rsq += diff ** 2;
          if (d) d[k * cc + i]! += regionCoef * diff;
        }
        lossSum += (regionWeight * rsq) / cc;
      }
      if (d) diffs.set(layer, d);
    }
    return { loss: lossSum, diffs };
  }

  let weights = objectiveWeights(loss, 1);
  if (loss.photoStyleDistance !== undefined) {
    // The balance: the photo's own style distance with the layers' weights alone.
    weights = objectiveWeights(loss, styleBalance(loss, styleTerms(photo, objectiveWeights({ ...loss, styleWeight: 1 }, 1), false).loss));
  }
  const contentWeight = weights[WEIGHT_INPUTS.content]!;
  const tvWeight = weights[WEIGHT_INPUTS.tv]!;
  const contentElements = contentMap.length;

  /** Content loss from a pass's content map. */
  const contentLoss = (map: Float32Array) => {
    let sq = 0;
    for (let i = 0; i < map.length; i++) sq += (map[i]! - contentMap[i]!) ** 2;
    return (contentWeight * sq) / contentElements;
  };

  /** 0.5·w·(Σdx² + Σdy²) on the picture, and its gradient added into `grad` when given. */
  function tv(pixels: Float32Array, grad?: Float32Array): number {
    const { width, height } = size;
    let sum = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) {
          const v = pixels[i + c]!;
          if (x + 1 < width) {
            const d = pixels[i + 3 + c]! - v;
            sum += d * d;
            if (grad) {
              grad[i + 3 + c]! += tvWeight * d;
              grad[i + c]! -= tvWeight * d;
            }
          }
          if (y + 1 < height) {
            const d = pixels[i + width * 3 + c]! - v;
            sum += d * d;
            if (grad) {
              grad[i + width * 3 + c]! += tvWeight * d;
              grad[i + c]! -= tvWeight * d;
            }
          }
        }
      }
    }
    return 0.5 * tvWeight * sum;
  }

  /** The crop of the content target map for a tile ([1,C,h,w], zeros outside the map). */
  function contentTargetFor(tile: Tile): Ort.Tensor {
    const level = contentInfo.level;
    const C = contentInfo.channels;
    const cH = mapSize(size.height, level);
    const cW = mapSize(size.width, level);
    const { rows, cols } = mapAt(tile, size, level);
    const h = extent(rows);
    const w = extent(cols);
    const out = new Float32Array(C * h * w);
    const rowsIn = Math.min(h, cH - rows.from);
    const colsIn = Math.min(w, cW - cols.from);
    for (let c = 0; c < C; c++) {
      for (let y = 0; y < rowsIn; y++) {
        const from = c * cH * cW + (rows.from + y) * cW + cols.from;
        out.set(contentMap.subarray(from, from + colsIn), c * h * w + y * w);
      }
    }
    return tensor(out, [1, C, h, w]);
  }


  async function evaluateAt(pixels: Float32Array, gradient: boolean) {
    const stats = await statsOf(pixels, size, true);
    const style = styleTerms(stats, weights, gradient);
    const content = contentLoss(stats.content!);
    if (!gradient) return { info: totalLosses(content, style.loss, tv(pixels)) };
    const grad = new Float32Array(pixels.length);
    const contentScale = tensor(Float32Array.of((2 * contentWeight) / contentElements), []);
    for (const tile of tiles) {
      const h = tile.cropRows.to - tile.cropRows.from;
      const w = tile.cropCols.to - tile.cropCols.from;
      const { feeds, regions } = slotFeeds(tile, size, jobSlots, true);
      // Each slot's D: its region's (the interior's without regions); zero for an unused slot.
      const diffFeeds = Object.fromEntries(
        styleInfo.map(({ layer, level, channels: c }) => {
          const d = style.diffs.get(layer)!;
          const cc = c * c;
          const slotted = new Float32Array(jobSlots * cc);
          regions.get(level)!.forEach((k, j) => k >= 0 && slotted.set(d.subarray(k * cc, (k + 1) * cc), j * cc));
          return [gramDiffInput(layer), tensor(slotted, [jobSlots, c, c])];
        }),
      );
      const session = await sessions.session(jobSlots);
      const out = await session.run({
        ...gradientRun,
        [IMAGE_INPUT]: tensor(cropPixels(pixels, size.width, tile.cropRows, tile.cropCols), [1, h, w, 3]),
        ...feeds,
        ...diffFeeds,
        [TILE_CONTENT_TARGET]: contentTargetFor(tile),
        [TILE_CONTENT_SCALE]: contentScale,
      });
      const g = out[TILE_GRAD]!.data as Float32Array;
      // Overlap-add: a crop's margin carries its interior's share of the gradient.
      for (let y = 0; y < h; y++) {
        const to = ((tile.cropRows.from + y) * size.width + tile.cropCols.from) * 3;
        const from = y * w * 3;
        for (let i = 0; i < w * 3; i++) grad[to + i]! += g[from + i]!;
      }
    }
    const info = totalLosses(content, style.loss, tv(pixels, grad));
    return { info, grad };
  }

  return {
    async evaluate(pixels) {
      const { info, grad } = await evaluateAt(pixels, true);
      return { loss: info.total, grad: grad!, info };
    },
    async losses(pixels) {
      return (await evaluateAt(pixels, false)).info;
    },
    dispose() {
      // Plain JS memory: the sessions stay cached by the runtime.
    },
  };
}
