import { DEFAULT_OPTIONS } from '../../src/engine/defaults.js';
import type { Runtime, ScaleObjective } from '../../src/engine/runtime/types.js';
import { lossSpec } from '../../src/engine/loss-spec.js';

// 128 px: the session the runtime built at start serves it (at 256 px a Winograd session is built
// first), and a step stays long enough (~0.1 s) for a stop to land in the middle of one.
const W = 128;
const H = 96;
const picture = (seed: number) => ({ width: W, height: H, data: Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * seed) % 256) });
const loss = lossSpec(DEFAULT_OPTIONS, W);

/** A default objective of a fixed picture, and a step that evaluates it once per call. */
export async function preparedStep(runtime: Runtime): Promise<{ objective: ScaleObjective; step: () => Promise<unknown> }> {
  const objective = await runtime.prepare({ width: W, height: H, content: picture(37), styles: [{ image: picture(11), weight: 1 }] }, loss);
  const x = Float32Array.from(picture(37).data);
  return { objective, step: () => objective.evaluate(x) };
}

/** Steps a default objective forever (until its runtime goes), calling `firstDone` after one step. */
export async function stepping(runtime: Runtime, firstDone: () => void): Promise<never> {
  const { step } = await preparedStep(runtime);
  await step();
  firstDone();
  for (;;) await step();
}
