/**
 * The ONNX graphs of the two fast networks, emitted from their .tflite files through the
 * project's graph builder: the style predictor (int8, dequantised to float32) and the transfer
 * network (float16 constants widened to float32), whose height and width are left open.
 */
import { GraphBuilder } from '../onnx/graph-builder.js';
import { Conversion, convert } from './ops.js';
import type { TfliteModel } from './tflite.js';

export const PREDICTOR_INPUT = 'style';
export const TRANSFER_INPUTS = { content: 'content', vector: 'style_vector' } as const;
export const OUTPUT = 'output';
/** The predictor's input side and the style vector's length. */
export const STYLE_SIDE = 256;
export const VECTOR_LENGTH = 100;

/**
 * One NHWC float input per TFLite input (`names` in order), transposed to NCHW; one NHWC output.
 * `open` leaves an image input's height and width symbolic.
 */
function emit(model: TfliteModel, label: string, names: readonly string[], open: boolean): Uint8Array {
  const b = new GraphBuilder();
  const cv = new Conversion(b, model.tensors, label);
  if (model.inputs.length !== names.length || model.outputs.length !== 1) {
    throw cv.unsupported(`${model.inputs.length} inputs and ${model.outputs.length} outputs`);
  }
  model.inputs.forEach((index, i) => {
    const shape = cv.tensor(index).shape;
    if (shape.length !== 4) throw cv.unsupported(`an input of rank ${shape.length}`);
    const image = shape[1]! > 1;
    const dims = open && image ? [1, 'height', 'width', shape[3]!] : shape;
    cv.set(index, b.op('Transpose', [b.input(names[i]!, dims)], { perm: [0, 3, 1, 2] }));
  });
  for (const op of model.operators) convert(cv, op);
  const out = model.outputs[0]!;
  const shape = cv.tensor(out).shape;
  const outDims = open && shape[1]! > 1 ? [1, 'height', 'width', shape[3]!] : shape;
  b.output(b.op('Transpose', [cv.value(out)], { perm: [0, 2, 3, 1] }), OUTPUT, outDims);
  return b.encode(label);
}

export function predictorGraph(model: TfliteModel, label: string): Uint8Array {
  return emit(model, label, [PREDICTOR_INPUT], false);
}

/** The transfer network; its inputs are ordered content image first, as the .tflite has them. */
export function transferGraph(model: TfliteModel, label: string): Uint8Array {
  const first = model.tensors[model.inputs[0]!];
  const names = first && first.shape[1]! > 1 ? [TRANSFER_INPUTS.content, TRANSFER_INPUTS.vector] : [TRANSFER_INPUTS.vector, TRANSFER_INPUTS.content];
  return emit(model, label, names, true);
}
