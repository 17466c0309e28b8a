/**
 * TFLite operators as ONNX nodes, one converter per operator. The TFLite graph is NHWC; the ONNX
 * graph is NCHW throughout (what onnxruntime's convolutions want): activations are transposed
 * once at the inputs and outputs, constants as they are emitted, and axes are mapped.
 */
import { StylizeError } from '../errors.js';
import type { GraphBuilder } from '../onnx/graph-builder.js';
import { constantInts, constantValues, type TfliteOperator, type TfliteTensor } from './tflite.js';

export const Op = {
  ADD: 0,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  DEQUANTIZE: 6,
  LOGISTIC: 14,
  MUL: 18,
  MEAN: 40,
  SUB: 41,
  RSQRT: 76,
  RESIZE_NEAREST_NEIGHBOR: 97,
  SQUARED_DIFFERENCE: 99,
  MIRROR_PAD: 100,
  QUANTIZE: 114,
} as const;

/** NHWC axis → NCHW axis. */
const NCHW_AXIS = [0, 2, 3, 1];

/** What the converters share: the TFLite tensors, and the ONNX value (or float constant) each has become. */
export class Conversion {
  readonly #values = new Map<number, string>();
  readonly #constants = new Map<number, Float32Array>();

  constructor(
    readonly b: GraphBuilder,
    readonly tensors: readonly TfliteTensor[],
    readonly label: string,
  ) {}

  unsupported(why: string): StylizeError {
    return new StylizeError('weights-corrupt', `The fast style model ${this.label} is not the expected network (${why}).`);
  }

  tensor(index: number): TfliteTensor {
    const t = this.tensors[index];
    if (!t) throw this.unsupported(`tensor ${index} is missing`);
    return t;
  }

  isConstant(index: number): boolean {
    return this.#constants.has(index) || this.tensor(index).data !== undefined;
  }

  /** A constant's float values (dequantised), in TFLite's own layout. */
  constant(index: number): Float32Array {
    let c = this.#constants.get(index);
    if (!c) {
      const t = this.tensor(index);
      if (!t.data) throw this.unsupported(`${t.name} should be a constant`);
      c = constantValues(t);
      this.#constants.set(index, c);
    }
    return c;
  }

  setConstant(index: number, values: Float32Array): void {
    this.#constants.set(index, values);
  }

  set(index: number, value: string): void {
    this.#values.set(index, value);
  }

  /** The ONNX value of a tensor: an activation already computed, or a constant laid out for NCHW broadcasting. */
  value(index: number): string {
    const v = this.#values.get(index);
    if (v) return v;
    if (!this.isConstant(index)) throw this.unsupported(`${this.tensor(index).name} is used before it is computed`);
    const shape = this.tensor(index).shape;
    const data = this.constant(index);
    let name: string;
    if (shape.length === 4) name = this.b.float(nhwcToNchw(data, shape), [shape[0]!, shape[3]!, shape[1]!, shape[2]!]);
    else if (data.length === 1) name = this.b.scalar(data[0]!);
    else if (shape.length === 1) name = this.b.float(data, [data.length, 1, 1]);
    else throw this.unsupported(`a constant of shape [${shape.join(', ')}]`);
    this.#values.set(index, name);
    return name;
  }
}

function nhwcToNchw(data: Float32Array, [n, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n!; b++)
    for (let y = 0; y < h!; y++)
      for (let x = 0; x < w!; x++)
        for (let ch = 0; ch < c!; ch++) out[((b * c! + ch) * h! + y) * w! + x] = data[((b * h! + y) * w! + x) * c! + ch]!;
  return out;
}

function activation(cv: Conversion, x: string, fused: number): string {
  switch (fused) {
    case 0:
      return x;
    case 1:
      return cv.b.op('Relu', [x]);
    case 3:
      return cv.b.op('Clip', [x, cv.b.scalar(0), cv.b.scalar(6)]);
    default:
      throw cv.unsupported(`fused activation ${fused}`);
  }
}

type Converter = (cv: Conversion, op: TfliteOperator) => string | undefined;

/** A convolution: TFLite filters are OHWI (depthwise: 1HWO); ONNX wants OIHW (depthwise: O1HW, one group per channel). */
function conv(depthwise: boolean): Converter {
  return (cv, op) => {
    const [input, filter, bias] = op.inputs as [number, number, number];
    const o = op.options;
    const [d0, kh, kw, d3] = cv.tensor(filter).shape as [number, number, number, number];
    const channels = cv.tensor(input).shape[3]!;
    const outChannels = depthwise ? d3 : d0;
    const src = cv.constant(filter);
    const w = new Float32Array(src.length);
    const inPerGroup = depthwise ? 1 : d3;
    for (let oc = 0; oc < outChannels; oc++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          for (let i = 0; i < inPerGroup; i++) {
            const from = depthwise ? (y * kw + x) * d3 + oc : ((oc * kh + y) * kw + x) * d3 + i;
            w[((oc * inPerGroup + i) * kh + y) * kw + x] = src[from]!;
          }
    // Conv2DOptions: 0 padding, 1 stride_w, 2 stride_h, 3 activation, 4/5 dilation w/h;
    // DepthwiseConv2DOptions: the same with depth_multiplier at 3, so activation and dilations one later.
    const shift = depthwise ? 1 : 0;
    const attrs = {
      auto_pad: o.int8(0) === 1 ? 'VALID' : 'SAME_UPPER',
      strides: [o.int32(2, 1), o.int32(1, 1)],
      dilations: [o.int32(5 + shift, 1), o.int32(4 + shift, 1)],
      kernel_shape: [kh, kw],
      group: depthwise ? channels : 1,
    };
    const inputs = [cv.value(input), cv.b.float(w, [outChannels, inPerGroup, kh, kw])];
    if (bias !== undefined && bias >= 0) inputs.push(cv.b.float(cv.constant(bias), [outChannels]));
    return activation(cv, cv.b.op('Conv', inputs, attrs), o.int8(3 + shift));
  };
}

function binary(type: 'Add' | 'Sub' | 'Mul'): Converter {
  return (cv, op) => activation(cv, cv.b.op(type, [cv.value(op.inputs[0]!), cv.value(op.inputs[1]!)]), op.options.int8(0));
}

const CONVERTERS: Record<number, Converter> = {
  [Op.CONV_2D]: conv(false),
  [Op.DEPTHWISE_CONV_2D]: conv(true),
  [Op.ADD]: binary('Add'),
  [Op.SUB]: binary('Sub'),
  [Op.MUL]: binary('Mul'),
  // Quantisation steps: constants are dequantised once here, activations stay float.
  [Op.QUANTIZE]: passThrough,
  [Op.DEQUANTIZE]: passThrough,
  [Op.LOGISTIC]: (cv, op) => cv.b.op('Sigmoid', [cv.value(op.inputs[0]!)]),
  [Op.RSQRT]: (cv, op) => cv.b.op('Reciprocal', [cv.b.op('Sqrt', [cv.value(op.inputs[0]!)])]),
  [Op.SQUARED_DIFFERENCE]: (cv, op) => {
    const d = cv.b.op('Sub', [cv.value(op.inputs[0]!), cv.value(op.inputs[1]!)]);
    return cv.b.op('Mul', [d, d]);
  },
  [Op.MEAN]: (cv, op) => {
    // ReducerOptions: 0 keep_dims. Without it the NCHW layout of what follows would change.
    if (op.options.int8(0) !== 1) throw cv.unsupported('a MEAN that drops its axes');
    const axes = constantInts(cv.tensor(op.inputs[1]!)).map((a) => NCHW_AXIS[a < 0 ? a + 4 : a]!);
    return cv.b.op('ReduceMean', [cv.value(op.inputs[0]!)], { axes, keepdims: 1 });
  },
  [Op.MIRROR_PAD]: (cv, op) => {
    // MirrorPadOptions: 0 mode (0 REFLECT, 1 SYMMETRIC); ONNX's reflect is TFLite's REFLECT.
    if (op.options.int8(0) !== 0) throw cv.unsupported('a SYMMETRIC mirror pad');
    const p = constantInts(cv.tensor(op.inputs[1]!));
    const begin = [0, 0, 0, 0];
    const end = [0, 0, 0, 0];
    for (let a = 0; a < 4; a++) {
      begin[NCHW_AXIS[a]!] = p[2 * a]!;
      end[NCHW_AXIS[a]!] = p[2 * a + 1]!;
    }
    return cv.b.op('Pad', [cv.value(op.inputs[0]!), cv.b.int64([...begin, ...end], 'pads')], { mode: 'reflect' });
  },
  [Op.RESIZE_NEAREST_NEIGHBOR]: (cv, op) => {
    // The file fixes the target size (for 384 px); the ratio to the input is what holds at any size.
    const from = cv.tensor(op.inputs[0]!).shape;
    const to = cv.tensor(op.outputs[0]!).shape;
    const sy = to[1]! / from[1]!;
    const sx = to[2]! / from[2]!;
    const x = cv.value(op.inputs[0]!);
    if (sy === 1 && sx === 1) return x;
    if (!Number.isInteger(sy) || !Number.isInteger(sx)) throw cv.unsupported(`a resize by ${sy}×${sx}`);
    return cv.b.op('Resize', [x, '', cv.b.float([1, 1, sy, sx], [4], 'scales')], {
      mode: 'nearest',
      coordinate_transformation_mode: 'asymmetric',
      nearest_mode: 'floor',
    });
  },
};

function passThrough(cv: Conversion, op: TfliteOperator): string | undefined {
  const input = op.inputs[0]!;
  if (cv.isConstant(input)) {
    cv.setConstant(op.outputs[0]!, cv.constant(input));
    return undefined;
  }
  return cv.value(input);
}

/** Converts one operator; its output becomes a value or (for a dequantised constant) a constant. */
export function convert(cv: Conversion, op: TfliteOperator): void {
  const converter = CONVERTERS[op.code];
  if (!converter) throw cv.unsupported(`operator ${op.code} is not one the fast networks use`);
  if (op.outputs.length !== 1) throw cv.unsupported(`operator ${op.code} has ${op.outputs.length} outputs`);
  const value = converter(cv, op);
  if (value !== undefined) cv.set(op.outputs[0]!, value);
}
