/**
 * The loss a job optimises at each scale, from its options: the one place that says which loss
 * that is, so the runtime builds its first session for exactly what the first job will ask.
 */
import type { StylizeOptions } from './types.js';
import type { LossSpec } from './runtime/types.js';

/**
 * The loss a job optimises at a scale of `size` px: the options' weights, with the style term
 * balanced per pair (see photoStyleDistanceAt). Only the loss's own fields, so the runtime's
 * session cache is shared by jobs that differ in seed or budget.
 */
export function lossSpec(opts: StylizeOptions, size: number): LossSpec {
  const { contentLayer, styleLayers, contentWeight, styleWeight, tvWeight, pooling } = opts;
  return { contentLayer, styleLayers, contentWeight, styleWeight, tvWeight, pooling, photoStyleDistance: photoStyleDistanceAt(size), ...REGIONS };
}

/**
 * 30 % of each style layer's term is asked of each of 3×3 regions on its own. With one Gram of the
 * whole picture, busy parts can carry all the texture and leave a stretch of flat sky bare
 * (golden_gate + red_circles' top right; PyTorch's own L-BFGS leaves golden_gate + udnie's left
 * sky as bare as we did). Measured at 512 px: 2×2 regions left a pale patch where the quadrants
 * meet; half the term on 3×3 filled every sky but took more of the layout (composition 0.79-0.89);
 * 30 % fills them at 0.83-0.92 over the 9 pairs, where one Gram kept 0.89-0.94. It costs 7-15 %
 * more per evaluation (slices and their gradients' concatenation). The balance counts the regions
 * too, so `strength` keeps its meaning.
 */
const REGIONS = { regionalStyle: 0.3, regionGrid: 3 } as const;

/**
 * chicago + udnie's own photo-to-style distance (block1..5_conv1, weight 1; torch_ref.py's
 * definition) at 128, 256, 512 and 1024 px. Every pair's style term is scaled so its photo scores
 * this at that scale (runtime/types.ts): the pair the defaults were tuned on keeps its balance at
 * every scale, while a bolder style (red_circles: ~4× udnie's distance from the photos at 128 px)
 * no longer weighs several times more than a soft one.
 */
const PHOTO_STYLE_DISTANCE: readonly [number, number][] = [
  [128, 2.04e4],
  [256, 1.42e4],
  [512, 1.11e4],
  [1024, 1.04e4],
];

/** PHOTO_STYLE_DISTANCE at any size: interpolated in log size, held beyond the table's ends. */
export function photoStyleDistanceAt(size: number): number {
  const table = PHOTO_STYLE_DISTANCE;
  if (size <= table[0]![0]) return table[0]![1];
  for (let i = 1; i < table.length; i++) {
    const [s1, d1] = table[i]!;
    if (size <= s1) {
      const [s0, d0] = table[i - 1]!;
      const t = Math.log(size / s0) / Math.log(s1 / s0);
      return d0 + t * (d1 - d0);
    }
  }
  return table[table.length - 1]![1];
}
