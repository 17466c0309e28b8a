import * as tf from '@tensorflow/tfjs';
import { StylizeError } from '../errors.js';

/** VGG19's 16 conv layers in network order, with their output channels. */
export const VGG19_CONV_LAYERS: readonly { name: string; filters: number }[] = (() => {
  const blocks: [number, number][] = [
    [2, 64],
    [2, 128],
    [4, 256],
    [4, 512],
    [4, 512],
  ];
  const layers: { name: string; filters: number }[] = [];
  blocks.forEach(([convs, filters], b) => {
    for (let c = 1; c <= convs; c++) layers.push({ name: `block${b + 1}_conv${c}`, filters });
  });
  return layers;
})();

/** Expected [3, 3, in, out] kernel shape of each layer. */
export function expectedKernelShape(name: string): [number, number, number, number] | undefined {
  const i = VGG19_CONV_LAYERS.findIndex((l) => l.name === name);
  if (i < 0) return undefined;
  const inChannels = i === 0 ? 3 : VGG19_CONV_LAYERS[i - 1]!.filters;
  return [3, 3, inChannels, VGG19_CONV_LAYERS[i]!.filters];
}

export interface ConvWeights {
  kernel: tf.Tensor4D;
  bias: tf.Tensor1D;
}

/** Raw float32 values of one layer as read from a file, before they become tensors. */
export interface RawConv {
  kernel: { shape: number[]; values: Float32Array };
  bias: { shape: number[]; values: Float32Array };
}

const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * Checks that all 16 layers are present with VGG19's shapes; throws 'weights-corrupt' naming the
 * first problem. `where` names the source in the sentence.
 */
export function checkVggShapes(raw: Map<string, RawConv>, where: string): void {
  for (const { name, filters } of VGG19_CONV_LAYERS) {
    const layer = raw.get(name);
    if (!layer) {
      throw new StylizeError(
        'weights-corrupt',
        `The VGG19 weights at ${where} have no ${name} layer, so they are not VGG19 weights.`,
      );
    }
    const kernelShape = expectedKernelShape(name)!;
    for (const [part, got, want] of [
      ['kernel', layer.kernel.shape, kernelShape],
      ['bias', layer.bias.shape, [filters]],
    ] as const) {
      if (!same(got, want)) {
        throw new StylizeError(
          'weights-corrupt',
          `The VGG19 weights at ${where} have ${name} ${part} of shape [${got.join(', ')}], expected [${want.join(', ')}], so they are not VGG19 weights.`,
        );
      }
    }
    const values = layer.kernel.values.length + layer.bias.values.length;
    if (values !== kernelShape.reduce((a, b) => a * b, 1) + filters) {
      throw new StylizeError(
        'weights-corrupt',
        `The VGG19 weights at ${where} hold the wrong number of values for ${name}; download them again.`,
      );
    }
  }
}

export function toTensors(raw: Map<string, RawConv>): Map<string, ConvWeights> {
  const layers = new Map<string, ConvWeights>();
  for (const { name } of VGG19_CONV_LAYERS) {
    const r = raw.get(name)!;
    layers.set(name, {
      kernel: tf.tensor4d(r.kernel.values, r.kernel.shape as [number, number, number, number], 'float32'),
      bias: tf.tensor1d(r.bias.values, 'float32'),
    });
  }
  return layers;
}
