/** The weights as read from a file, and the check that they are VGG19's. */
import { StylizeError } from '../errors.js';
import { VGG19_CONV_LAYERS, expectedKernelShape } from '../layers.js';

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
