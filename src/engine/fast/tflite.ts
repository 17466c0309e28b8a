/**
 * A reader for the few TensorFlow Lite flatbuffer tables a converter needs (Model, SubGraph,
 * Tensor, QuantizationParameters, Operator, OperatorCode, Buffer), written against TFLite's
 * schema.fbs field order. Hand-written accessors: the flatbuffers package would still need code
 * generated from the schema, which is more than these ~100 lines.
 */
import { StylizeError } from '../errors.js';

export const TensorType = { FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT64: 4, INT8: 9 } as const;

export interface TfliteQuantization {
  scale: Float32Array;
  zeroPoint: number[];
  /** The axis the per-channel scales run along. */
  axis: number;
}

export interface TfliteTensor {
  name: string;
  shape: number[];
  type: number;
  /** The constant's raw little-endian bytes; undefined for activations. */
  data?: Uint8Array;
  quantization?: TfliteQuantization;
}

export interface TfliteOperator {
  /** BuiltinOperator code (CONV_2D = 3, …). */
  code: number;
  inputs: number[];
  outputs: number[];
  /** The builtin options table, read by field index. */
  options: OptionsTable;
}

export interface TfliteModel {
  tensors: TfliteTensor[];
  inputs: number[];
  outputs: number[];
  operators: TfliteOperator[];
}

/** A flatbuffer table: fields by their index in schema.fbs. */
export class OptionsTable {
  constructor(
    private readonly view: DataView,
    private readonly pos: number | undefined,
  ) {}

  #field(index: number): number | undefined {
    if (this.pos === undefined) return undefined;
    const vtable = this.pos - this.view.getInt32(this.pos, true);
    const vtableSize = this.view.getUint16(vtable, true);
    const at = 4 + 2 * index;
    if (at >= vtableSize) return undefined;
    const offset = this.view.getUint16(vtable + at, true);
    return offset === 0 ? undefined : this.pos + offset;
  }

  int8(index: number, dflt = 0): number {
    const p = this.#field(index);
    return p === undefined ? dflt : this.view.getInt8(p);
  }

  int32(index: number, dflt = 0): number {
    const p = this.#field(index);
    return p === undefined ? dflt : this.view.getInt32(p, true);
  }

  /** The table, vector or string a reference field points at. */
  ref(index: number): number | undefined {
    const p = this.#field(index);
    return p === undefined ? undefined : p + this.view.getUint32(p, true);
  }

  table(index: number): OptionsTable {
    return new OptionsTable(this.view, this.ref(index));
  }

  /** A vector's element count and where its elements start. */
  vector(index: number): { length: number; start: number } {
    const p = this.ref(index);
    return p === undefined ? { length: 0, start: 0 } : { length: this.view.getUint32(p, true), start: p + 4 };
  }

  tables(index: number): OptionsTable[] {
    const { length, start } = this.vector(index);
    return Array.from({ length }, (_, i) => {
      const at = start + 4 * i;
      return new OptionsTable(this.view, at + this.view.getUint32(at, true));
    });
  }

  int32s(index: number): number[] {
    const { length, start } = this.vector(index);
    return Array.from({ length }, (_, i) => this.view.getInt32(start + 4 * i, true));
  }

  int64s(index: number): number[] {
    const { length, start } = this.vector(index);
    return Array.from({ length }, (_, i) => Number(this.view.getBigInt64(start + 8 * i, true)));
  }

  float32s(index: number): Float32Array {
    const { length, start } = this.vector(index);
    return Float32Array.from({ length }, (_, i) => this.view.getFloat32(start + 4 * i, true));
  }

  bytes(index: number): Uint8Array {
    const { length, start } = this.vector(index);
    return new Uint8Array(this.view.buffer, this.view.byteOffset + start, length);
  }

  string(index: number): string {
    return new TextDecoder().decode(this.bytes(index));
  }
}

/** Reads the first subgraph of a .tflite file; `label` names the file in errors. */
export function readTflite(bytes: Uint8Array, label: string): TfliteModel {
  const corrupt = (why: string, cause?: unknown) =>
    new StylizeError('weights-corrupt', `The fast style model ${label} is not a valid TensorFlow Lite file (${why}); download it again.`, { cause });
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(4, 8)) !== 'TFL3') throw corrupt('no TFL3 identifier');
  try {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const model = new OptionsTable(view, view.getUint32(0, true));
    // Model: 1 operator_codes, 2 subgraphs, 4 buffers.
    const codes = model.tables(1).map((c) => Math.max(c.int8(0), c.int32(3)));
    const buffers = model.tables(4).map((b) => b.bytes(0));
    const graph = model.tables(2)[0];
    if (!graph) throw corrupt('no subgraph');
    // SubGraph: 0 tensors, 1 inputs, 2 outputs, 3 operators.
    const tensors = graph.tables(0).map((t): TfliteTensor => {
      // Tensor: 0 shape, 1 type, 2 buffer, 3 name, 4 quantization.
      const data = buffers[t.int32(2)];
      const q = t.table(4);
      const scale = q.float32s(2);
      return {
        name: t.string(3),
        shape: t.int32s(0),
        type: t.int8(1),
        ...(data && data.length > 0 ? { data } : {}),
        // QuantizationParameters: 2 scale, 3 zero_point, 6 quantized_dimension.
        ...(scale.length > 0 ? { quantization: { scale, zeroPoint: q.int64s(3), axis: q.int32(6) } } : {}),
      };
    });
    const operators = graph.tables(3).map((o): TfliteOperator => {
      // Operator: 0 opcode_index, 1 inputs, 2 outputs, 4 builtin_options.
      const code = codes[o.int32(0)];
      if (code === undefined) throw corrupt('an operator names a missing operator code');
      return { code, inputs: o.int32s(1), outputs: o.int32s(2), options: o.table(4) };
    });
    return { tensors, inputs: graph.int32s(1), outputs: graph.int32s(2), operators };
  } catch (e) {
    if (e instanceof StylizeError) throw e;
    throw corrupt(e instanceof Error ? e.message : String(e), e);
  }
}

/** A constant's values as float32: float16 widened, int8/int32 dequantised with its own scales. */
export function constantValues(t: TfliteTensor): Float32Array {
  const d = t.data!;
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const count = t.shape.reduce((a, b) => a * b, 1);
  let raw: Float32Array;
  switch (t.type) {
    case TensorType.FLOAT32:
      raw = Float32Array.from({ length: count }, (_, i) => view.getFloat32(4 * i, true));
      break;
    case TensorType.FLOAT16:
      raw = Float32Array.from({ length: count }, (_, i) => halfToFloat(view.getUint16(2 * i, true)));
      break;
    case TensorType.INT8:
      raw = Float32Array.from({ length: count }, (_, i) => view.getInt8(i));
      break;
    case TensorType.UINT8:
      raw = Float32Array.from({ length: count }, (_, i) => view.getUint8(i));
      break;
    case TensorType.INT32:
      raw = Float32Array.from({ length: count }, (_, i) => view.getInt32(4 * i, true));
      break;
    default:
      throw new StylizeError('weights-corrupt', `The fast style model has a constant of an unsupported type (${t.type}).`);
  }
  const q = t.quantization;
  if (!q || t.type === TensorType.FLOAT32 || t.type === TensorType.FLOAT16) return raw;
  // Per-channel scales run along `axis`: the channel of element i is (i / inner) % channels.
  const channels = q.scale.length;
  const inner = channels > 1 ? t.shape.slice(q.axis + 1).reduce((a, b) => a * b, 1) : 1;
  for (let i = 0; i < raw.length; i++) {
    const c = channels > 1 ? Math.floor(i / inner) % channels : 0;
    raw[i] = (raw[i]! - (q.zeroPoint[c] ?? 0)) * q.scale[c]!;
  }
  return raw;
}

/** Integer constants (axes, paddings) as plain numbers. */
export function constantInts(t: TfliteTensor): number[] {
  const d = t.data!;
  const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (t.type === TensorType.INT64) return Array.from({ length: count }, (_, i) => Number(view.getBigInt64(8 * i, true)));
  return Array.from({ length: count }, (_, i) => view.getInt32(4 * i, true));
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
