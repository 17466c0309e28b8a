/** The VGG19 weights as tfjs tensors, on the backend that is active when they are loaded. */
import * as tf from '@tensorflow/tfjs';
import { VGG19_CONV_LAYERS } from '../layers.js';
import { readVggWeights, type LoadWeightsOptions, type RawVggWeights } from '../weights/index.js';

export interface ConvWeights {
  kernel: tf.Tensor4D;
  bias: tf.Tensor1D;
}

export interface VggWeights {
  /** Where the weights came from, as given. */
  source: string;
  format: RawVggWeights['format'];
  /** `block1_conv1`..`block5_conv4`: kernel [3,3,in,out], bias [out]. */
  layers: Map<string, ConvWeights>;
  dispose(): void;
}

/** Reads and checks the weights (readVggWeights), then makes tensors of them; set the backend first. */
export async function loadVggWeights(source: string, opts: LoadWeightsOptions = {}): Promise<VggWeights> {
  const read = await readVggWeights(source, opts);
  const layers = new Map<string, ConvWeights>();
  for (const { name } of VGG19_CONV_LAYERS) {
    const r = read.layers.get(name)!;
    layers.set(name, {
      kernel: tf.tensor4d(r.kernel.values, r.kernel.shape as [number, number, number, number], 'float32'),
      bias: tf.tensor1d(r.bias.values, 'float32'),
    });
  }
  return {
    source,
    format: read.format,
    layers,
    dispose() {
      for (const { kernel, bias } of layers.values()) tf.dispose([kernel, bias]);
      layers.clear();
    },
  };
}
