/**
 * Bilinear resampling of float RGB pixels (H×W×3 interleaved), not clamped, so it resizes
 * differences between pictures as well as pictures. Half-pixel centres (the same sampling grid
 * as sharp and tfjs's resizeBilinear with halfPixelCenters): a 2× upscale puts no sample exactly
 * on an input pixel and shifts nothing.
 */
export function resizeBilinear(
  pixels: Float32Array,
  from: { width: number; height: number },
  to: { width: number; height: number },
): Float32Array {
  const { width: sw, height: sh } = from;
  const { width: dw, height: dh } = to;
  const out = new Float32Array(dw * dh * 3);
  const sy = sh / dh;
  const sx = sw / dw;
  // Column positions are the same for every row: work them out once.
  const x0s = new Int32Array(dw);
  const x1s = new Int32Array(dw);
  const fxs = new Float32Array(dw);
  for (let x = 0; x < dw; x++) {
    const fx = Math.min(sw - 1, Math.max(0, (x + 0.5) * sx - 0.5));
    x0s[x] = Math.floor(fx);
    x1s[x] = Math.min(sw - 1, x0s[x]! + 1);
    fxs[x] = fx - x0s[x]!;
  }
  for (let y = 0; y < dh; y++) {
    const fy = Math.min(sh - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(sh - 1, y0 + 1);
    const wy = fy - y0;
    const r0 = y0 * sw * 3;
    const r1 = y1 * sw * 3;
    for (let x = 0; x < dw; x++) {
      const a = x0s[x]! * 3;
      const b = x1s[x]! * 3;
      const wx = fxs[x]!;
      const o = (y * dw + x) * 3;
      for (let c = 0; c < 3; c++) {
        const top = pixels[r0 + a + c]! * (1 - wx) + pixels[r0 + b + c]! * wx;
        const bottom = pixels[r1 + a + c]! * (1 - wx) + pixels[r1 + b + c]! * wx;
        out[o + c] = top * (1 - wy) + bottom * wy;
      }
    }
  }
  return out;
}
