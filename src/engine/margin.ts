/**
 * The margin each scale is optimised with (issue 11's frame): the picture is mirrored outwards by a
 * few pixels on every side, optimised as one canvas, and cut back out. Convolutions near a border
 * see fewer of their neighbours there (whatever the padding: zero, edge and reflect padding of
 * the first conv were all measured), so the outermost pixels of what is optimised come out
 * unlike the rest: a thin line along the frame. With a margin, that band falls outside the
 * picture that is delivered.
 */

/** The margin of a scale of `size` px (long side): this fraction of it, and at least MIN_MARGIN px. */
export const MARGIN_FRACTION = 1 / 128;
export const MIN_MARGIN = 2;

export function marginFor(size: number): number {
  return Math.max(MIN_MARGIN, Math.round(size * MARGIN_FRACTION));
}

interface Size {
  width: number;
  height: number;
}

export function withMargin(size: Size, margin: number): Size {
  return { width: size.width + 2 * margin, height: size.height + 2 * margin };
}

/** Index of a mirrored coordinate (the edge pixel not repeated), for margins up to the size − 1. */
function mirror(i: number, n: number): number {
  if (n === 1) return 0;
  let j = i;
  while (j < 0 || j >= n) j = j < 0 ? -j : 2 * (n - 1) - j;
  return j;
}

/** RGB pixels (H×W×3) mirrored outwards by `margin` on every side. */
export function mirrorPad<T extends Float32Array | Uint8Array>(pixels: T, size: Size, margin: number): T {
  const out = withMargin(size, margin);
  const result = new (pixels.constructor as new (n: number) => T)(out.width * out.height * 3);
  for (let y = 0; y < out.height; y++) {
    const sy = mirror(y - margin, size.height);
    for (let x = 0; x < out.width; x++) {
      const from = (sy * size.width + mirror(x - margin, size.width)) * 3;
      const to = (y * out.width + x) * 3;
      result[to] = pixels[from]!;
      result[to + 1] = pixels[from + 1]!;
      result[to + 2] = pixels[from + 2]!;
    }
  }
  return result;
}

/** An RGB image mirrored onto its canvas: the content a scale's targets are taken from. */
export function onCanvas<T extends Float32Array | Uint8Array>(image: Size & { data: T }, margin: number): Size & { data: T } {
  return { ...withMargin(image, margin), data: mirrorPad(image.data, image, margin) };
}

/** The picture of `size` cut out of the middle of a canvas with this margin. */
export function cropMargin(pixels: Float32Array, size: Size, margin: number): Float32Array {
  const canvasWidth = withMargin(size, margin).width;
  const out = new Float32Array(size.width * size.height * 3);
  for (let y = 0; y < size.height; y++) {
    const from = ((y + margin) * canvasWidth + margin) * 3;
    out.set(pixels.subarray(from, from + size.width * 3), y * size.width * 3);
  }
  return out;
}
