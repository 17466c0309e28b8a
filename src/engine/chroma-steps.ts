/**
 * Colour blotches (issue 11): Gram-matrix style losses hardly tell which way a pixel's colour
 * moves, only how much of each colour the picture holds, so while L-BFGS knows no curvature yet,
 * its steps wander in colour as freely as in light and dark and leave patches of colours that
 * neither picture has (statue_of_liberty + sketch: a purple corner of sky, a teal side, a yellow
 * face). Damping the chroma part of the optimiser's initial steps (a preconditioner: the luminance
 * part of every pixel's step kept, the rest scaled) lets the style work through light and dark
 * first; colour still changes, as far as the loss asks, once curvature is learnt.
 *
 * Measured (seed 0; "foreign": share of pixels whose chroma neither picture holds, see
 * test/engine/support/quality-measures.ts; PyTorch's 50 L-BFGS iterations at 512 px 0.29 %):
 *   statue_of_liberty + sketch, 128 px / 40 evaluations: 1 → 9.4 %, 0.5 → 4.4 %, 0.35 → 2.0 %,
 *   0.25 → 1.2 %, the loss at 0.5 equal (4.71e5 both); default 512 px job: 1 → 7.7 %, 0.5 → 1.4 %,
 *   0.25 → 0.18 %;
 *   chicago + udnie, default 512 px job, delivered loss under torch_ref.py eval (target 2.52e5):
 *   1 → 2.483e5, 0.5 → 2.504e5, 0.35 → 2.514e5, 0.25 → 2.555e5.
 * 0.5 keeps the delivered loss inside its target with room; 0.25 removes more colour but misses it.
 */

/** How much of the chroma part of a step is kept while curvature is not known. */
export const CHROMA_STEP = 0.5;

/**
 * P = u uᵀ + c (I − u uᵀ) per pixel, u the grey axis (1, 1, 1)/√3: symmetric and positive
 * definite for c > 0, so it serves as L-BFGS's initial inverse-Hessian shape. Interleaved RGB.
 */
export function dampChroma(c: number = CHROMA_STEP): (v: Float32Array | Float64Array) => void {
  const grey = (1 - c) / 3;
  return (v) => {
    for (let i = 0; i + 2 < v.length; i += 3) {
      const m = (v[i]! + v[i + 1]! + v[i + 2]!) * grey;
      v[i] = c * v[i]! + m;
      v[i + 1] = c * v[i + 1]! + m;
      v[i + 2] = c * v[i + 2]! + m;
    }
  };
}
