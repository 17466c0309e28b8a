/**
 * The fast network's style predictor on its own: a painting → its 100-number style vector. A
 * style library keeps this vector with each saved painting, so it is computed once, at save.
 */
import { readFile } from 'node:fs/promises';
import type * as Ort from 'onnxruntime-node';
import { StylizeError } from '../errors.js';
import type { RgbImage } from '../image.js';
import { fastModelFiles } from './models.js';
import { OUTPUT, PREDICTOR_INPUT, STYLE_SIDE, predictorGraph } from './onnx-graphs.js';
import { predictorInput } from './picture.js';
import { readTflite } from './tflite.js';

export interface StylePredictor {
  /** The style vector of a whole painting (its centre square at scale 1, as a fast job sees it). */
  vectorOf(painting: RgbImage): Promise<number[]>;
  dispose(): void;
}

/** Opens the predictor of the fast models in `modelsDir` (one thread: it runs beside the chat). */
export async function openStylePredictor(modelsDir: string): Promise<StylePredictor> {
  const file = fastModelFiles(modelsDir).predictor;
  const bytes = await readFile(file).catch((e: unknown) => {
    throw new StylizeError('weights-missing', `The fast style predictor model was not found at ${file}.`, { cause: e });
  });
  const ort: typeof Ort = await import('onnxruntime-node');
  const session = await ort.InferenceSession.create(predictorGraph(readTflite(bytes, file), file), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  return {
    async vectorOf(painting) {
      const input = await predictorInput(painting, 1);
      const out = await session.run({ [PREDICTOR_INPUT]: new ort.Tensor('float32', input, [1, STYLE_SIDE, STYLE_SIDE, 3]) });
      return Array.from(out[OUTPUT]!.data as Float32Array);
    },
    dispose() {
      void session.release();
    },
  };
}
