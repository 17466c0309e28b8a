/**
 * The tfjs runtime: one of tfjs's backends (tensorflow-gpu, tensorflow, wasm, cpu; see
 * backend.ts), tfjs autodiff with the hand-written image gradients of ops.ts.
 */
import { TFJS_MAX_SIZE } from '../runtime/limits.js';
import * as tf from '@tensorflow/tfjs';
import { initBackend, type TfjsBackendName } from './backend.js';
import type { RgbImage } from '../image.js';
import { computeTargets, createObjective, evaluateLosses, neededLayers } from './losses.js';
import { prepareConv, type PreparedConv } from './ops.js';
import { createExtractor } from './vgg.js';
import { loadVggWeights } from './weights.js';
import type { Runtime, ScaleObjective } from '../runtime/types.js';

const noTick = () => undefined;

export async function startTfjsRuntime(name: TfjsBackendName, opts: { threads: number; weights: string }): Promise<Runtime> {
  const backend = await initBackend(name, { threads: opts.threads });
  const weights = await loadVggWeights(opts.weights);
  // The job's heartbeat, called after every conv while its work runs (this runtime runs one job's
  // synchronous work at a time, so one slot is enough).
  let tick: () => void = noTick;
  const withTicks = <T>(jobTick: () => void, work: () => T): T => {
    const outer = tick;
    tick = jobTick;
    try {
      return work();
    } finally {
      tick = outer;
    }
  };
  // The rotated kernels the image gradient needs are made once here, not per job, so a job
  // leaves the tensor count exactly as it found it.
  const convs = new Map<string, PreparedConv>();
  // The first conv meets the image border through its edge pixels (the onnx graph does the same).
  for (const [layer, w] of weights.layers) {
    convs.set(layer, prepareConv(w.kernel, w.bias, () => tick(), { edges: layer === 'block1_conv1' ? 'replicate' : 'zero' }));
  }
  const baseline = tf.memory().numTensors;
  const toTensor = (img: RgbImage) => tf.tensor4d(Float32Array.from(img.data), [1, img.height, img.width, 3]);

  return {
    name: backend.name,
    library: 'tfjs',
    provider: backend.name,
    threads: backend.threads,
    // Its objective is computed whole: a 2048 px one held 8.7 GB on onnx. Only onnx tiles (issue 27).
    maxSize: TFJS_MAX_SIZE,
    async prepare(images, loss, jobTick = noTick): Promise<ScaleObjective> {
      const extractor = createExtractor(convs, neededLayers(loss), loss.pooling);
      const targets = withTicks(jobTick, () => {
        const tensors = [images.content, ...images.styles.map((s) => s.image)].map(toTensor);
        try {
          return computeTargets(
            extractor,
            tensors[0]!,
            tensors.slice(1).map((image, i) => ({ image, weight: images.styles[i]!.weight })),
            loss,
          );
        } finally {
          tf.dispose(tensors);
        }
      });
      const objective = createObjective(extractor, targets, loss, images.height, images.width);
      return {
        evaluate: async (pixels) => withTicks(jobTick, () => objective(pixels)),
        losses: async (pixels) =>
          withTicks(jobTick, () => evaluateLosses(extractor, pixels, images.height, images.width, targets, loss)),
        dispose: () => targets.dispose(),
      };
    },
    liveResources: () => tf.memory().numTensors - baseline,
    dispose() {
      for (const c of convs.values()) c.dispose();
      weights.dispose();
    },
  };
}
