/**
 * Where the tiles of an exact tiled objective lie (tiled-objective.ts). Each tile owns an interior
 * (the tiles' interiors partition the picture) and is computed on a crop that adds a margin as wide
 * as the receptive field of the deepest layer the loss reads, so every feature of its interior is
 * the whole picture's own. Interiors start on multiples of 2^(poolings), so each pooling's windows
 * fall where the whole picture's do; a crop edge on the picture's edge pads exactly as it does.
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

/** How far (in picture pixels) a feature of the deepest of `layers` sees, rounded up to whole pooling windows; and that window. */
export function receptiveMargin(layers: Iterable<string>): { margin: number; align: number } {
  const run = layersDownTo(layers);
  let stride = 1;
  let radius = 0;
  run.forEach((layer, i) => {
    radius += stride; // a 3×3 conv: one neighbour each side at this layer's resolution
    if (layer.poolAfter && i < run.length - 1) {
      radius += stride; // a 2×2 window reaches one more pixel of the layer below
      stride *= 2;
    }
  });
  return { margin: Math.ceil(radius / stride) * stride, align: stride };
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
