import { DEFAULT_STYLE_LAYERS } from '../../src/engine/defaults.js';
import type { LossSpec, Runtime } from '../../src/engine/runtime/types.js';

const W = 256;
const H = 170;
const picture = (seed: number) => ({ width: W, height: H, data: Uint8Array.from({ length: W * H * 3 }, (_, i) => (i * seed) % 256) });
const loss: LossSpec = { contentLayer: 'block4_conv2', styleLayers: DEFAULT_STYLE_LAYERS, contentWeight: 5, styleWeight: 100, tvWeight: 1e-3, pooling: 'avg' };

/** Steps a default objective forever (until its runtime goes), calling `firstDone` after one step. */
export async function stepping(runtime: Runtime, firstDone: () => void): Promise<never> {
  const objective = await runtime.prepare({ width: W, height: H, content: picture(37), styles: [{ image: picture(11), weight: 1 }] }, loss);
  const x = Float32Array.from(picture(37).data);
  await objective.evaluate(x);
  firstDone();
  for (;;) await objective.evaluate(x);
}
