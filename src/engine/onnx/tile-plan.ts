/**
 * Where the tiles of an exact tiled objective lie (tiled-objective.ts). Each tile owns an interior
 * (the tiles' interiors partition the picture) and is computed on a crop that adds the margin the
 * deepest layer the loss reads needs, so every feature of its interior is the whole picture's own;
 * each pooled map is then cut to the smaller margin the layers below it need (mapSpans). Interiors
 * start on multiples of 2^(poolings) and margins before a pooling are even, so each pooling's
 * windows fall where the whole picture's do; a crop edge on the picture's edge pads exactly as it does.
 */
import { layersDownTo } from '../layers.js';

export interface Span {
  /** First row (or column) in picture pixels. */
  from: number;
  /** One past the last. */
  to: number;
}

export interface Tile {
  /** What the tile owns. */
  rows: Span;
  cols: Span;
  /** What it is computed on: its interior and the margin, within the picture. */
  cropRows: Span;
  cropCols: Span;
}

/**
 * What a tile's maps must keep around its interior so that every feature of the interior is the
 * whole picture's own: `margins[p]` cells at the input of block p+1 (p poolings down; `margins[0]`
 * is the crop's margin in picture pixels). Each 3×3 conv needs one more cell; a 2×2 pool whose
 * windows fall where the whole picture's do needs twice the cells below it, no more. A margin with
 * a pool after it is even, so the trimmed maps' windows stay on the picture's. `align`: the
 * interiors' alignment (2^poolings).
 */
export function tileMargins(layers: Iterable<string>): { margins: number[]; align: number } {
  const run = layersDownTo(layers);
  const levels = run.filter((l, i) => l.poolAfter && i < run.length - 1).length;
  const margins = new Array<number>(levels + 1).fill(0);
  let need = 0; // cells at the current conv's output, at its level
  let level = levels;
  for (let i = run.length - 1; i >= 0; i--) {
    need += 1;
    const blockStart = i === 0 || run[i - 1]!.poolAfter;
    if (!blockStart) continue;
    margins[level] = level < levels ? need + (need % 2) : need;
    need = 2 * margins[level]!;
    level--;
  }
  return { margins, align: 2 ** levels };
}

/** Interiors of about `interior` px (a multiple of `align`) a side, with crops `margin` wider on each side that is not the picture's edge. */
export function planTiles(height: number, width: number, interior: number, margin: number, align: number): Tile[] {
  const step = Math.max(align, Math.floor(interior / align) * align);
  const spans = (n: number): Span[] => {
    const count = Math.max(1, Math.round(n / step));
    // Even interiors (on the alignment); the last takes what is left.
    const cuts = Array.from({ length: count + 1 }, (_, k) => (k === count ? n : Math.round((k * n) / count / align) * align));
    return cuts.slice(0, -1).map((from, k) => ({ from, to: cuts[k + 1]! })).filter((s) => s.to > s.from);
  };
  const crop = (s: Span, n: number): Span => ({ from: Math.max(0, s.from - margin), to: Math.min(n, s.to + margin) });
  return spans(height).flatMap((rows) => spans(width).map((cols) => ({ rows, cols, cropRows: crop(rows, height), cropCols: crop(cols, width) })));
}

/** The span at a layer `poolings` deep, in its own pixels (a map of `size` = ⌊n / 2^poolings⌋); `to` the map's end when the span ends the picture. */
export function spanAt(s: Span, poolings: number, n: number): Span {
  const f = 2 ** poolings;
  return { from: s.from / f, to: s.to === n ? Math.floor(n / f) : s.to / f };
}

/** Where a tile's maps lie at one level: rows and columns in that level's picture cells, and what the graph cuts off its pooled map to get there. */
export interface MapSpan {
  rows: Span;
  cols: Span;
  /** Cells cut off the pooled map: top, left, bottom, right (zeros at level 0, the crop itself). */
  trim: [number, number, number, number];
}

/**
 * A tile's maps at each level (index p: p poolings down): each pooling halves the map above, and the
 * cells past the interior's `margins[p]` are cut off, as they feed no feature of the interior.
 */
export function mapSpans(tile: Tile, height: number, width: number, margins: readonly number[]): MapSpan[] {
  const out: MapSpan[] = [{ rows: tile.cropRows, cols: tile.cropCols, trim: [0, 0, 0, 0] }];
  for (let p = 1; p < margins.length; p++) {
    const above = out[p - 1]!;
    const pooled = (s: Span): Span => ({ from: s.from / 2, to: s.from / 2 + Math.floor((s.to - s.from) / 2) });
    const kept = (s: Span, interior: Span): Span => ({ from: Math.max(s.from, interior.from - margins[p]!), to: Math.min(s.to, interior.to + margins[p]!) });
    const rows = pooled(above.rows);
    const cols = pooled(above.cols);
    const keptRows = kept(rows, spanAt(tile.rows, p, height));
    const keptCols = kept(cols, spanAt(tile.cols, p, width));
    out.push({ rows: keptRows, cols: keptCols, trim: [keptRows.from - rows.from, keptCols.from - cols.from, rows.to - keptRows.to, cols.to - keptCols.to] });
  }
  return out;
}
