import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { redactUrl, redactUrlsIn } from '../../util/redact.js';
import { StylizeError } from '../errors.js';
import type { RawConv } from './vgg-layers.js';

const FIX = 'Download them again, or use a complete copy.';

/** Reads one shard given its path relative to model.json. */
export type ShardReader = (relativePath: string) => Promise<Uint8Array>;

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}
interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, int8: 1, uint16: 2, int16: 2, float16: 2, bool: 1 };

function corrupt(where: string, what: string, cause?: unknown): StylizeError {
  return new StylizeError('weights-corrupt', `The VGG19 weights at ${redactUrl(where)} are damaged: ${redactUrlsIn(what)}. ${FIX}`, { cause });
}

function parseManifest(jsonText: string, where: string): ManifestGroup[] {
  let json: unknown;
  try {
    json = JSON.parse(jsonText);
  } catch (e) {
    throw corrupt(where, 'model.json is not valid JSON', e);
  }
  const manifest = (json as { weightsManifest?: unknown } | null)?.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length === 0) {
    throw corrupt(where, 'model.json has no weightsManifest (it is not a TensorFlow.js layers model)');
  }
  for (const group of manifest as ManifestGroup[]) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) {
      throw corrupt(where, 'a weightsManifest group lacks its paths or weights');
    }
    for (const w of group.weights) {
      if (typeof w?.name !== 'string' || !Array.isArray(w.shape) || BYTES[w.quantization?.dtype ?? w.dtype] === undefined) {
        throw corrupt(where, `the manifest entry ${JSON.stringify(w?.name ?? w)} is malformed`);
      }
    }
  }
  return manifest as ManifestGroup[];
}

/** Maps a tfjs weight name like `block1_conv1/kernel` (maybe prefixed, maybe `:0`) to layer + part. */
export function parseWeightName(name: string): { layer: string; part: 'kernel' | 'bias' } | undefined {
  const m = /(block\d_conv\d)\/(kernel|bias)(?::\d+)?$/.exec(name);
  return m ? { layer: m[1]!, part: m[2] as 'kernel' | 'bias' } : undefined;
}

/** Decodes a tfjs layers model's weights (quantised ones dequantised) into plain float32 arrays keyed by VGG layer name. */
export async function readLayersModel(jsonText: string, where: string, readShard: ShardReader): Promise<Map<string, RawConv>> {
  const groups = parseManifest(jsonText, where);
  const raw = new Map<string, Partial<RawConv>>();
  for (const group of groups) {
    // Only read groups that hold conv weights we use.
    if (!group.weights.some((w) => parseWeightName(w.name))) continue;
    const shards: Uint8Array[] = [];
    for (const p of group.paths) {
      try {
        shards.push(await readShard(p));
      } catch (e) {
        if (e instanceof StylizeError) throw e;
        throw corrupt(where, `the shard ${p} named in model.json cannot be read (${(e as Error).message})`, e);
      }
    }
    const total = shards.reduce((n, s) => n + s.byteLength, 0);
    const expected = group.weights.reduce(
      (n, w) => n + w.shape.reduce((a, b) => a * b, 1) * BYTES[w.quantization?.dtype ?? w.dtype]!,
      0,
    );
    if (total !== expected) {
      throw corrupt(where, `the shards ${group.paths[0]}.. hold ${total} bytes but model.json describes ${expected}`);
    }
    const buffer = new Uint8Array(total);
    let offset = 0;
    for (const s of shards) {
      buffer.set(s, offset);
      offset += s.byteLength;
    }
    let at = 0;
    for (const spec of group.weights) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      const bytes = size * BYTES[spec.quantization?.dtype ?? spec.dtype]!;
      const parsed = parseWeightName(spec.name);
      if (parsed) {
        const entry = raw.get(parsed.layer) ?? {};
        entry[parsed.part] = { shape: spec.shape.slice(), values: decodeValues(buffer.subarray(at, at + bytes), spec, where) };
        raw.set(parsed.layer, entry);
      }
      at += bytes;
    }
  }
  const complete = new Map<string, RawConv>();
  for (const [layer, entry] of raw) {
    if (entry.kernel && entry.bias) complete.set(layer, { kernel: entry.kernel, bias: entry.bias });
  }
  return complete;
}

/**
 * One weight's values as float32, as tfjs's decodeWeights gives them (q · scale + min for 8- and
 * 16-bit quantisation, IEEE half floats for float16), without loading tfjs: the onnx runtime reads
 * its weights through here.
 */
export function decodeValues(bytes: Uint8Array, spec: ManifestEntry, where: string): Float32Array {
  const q = spec.quantization;
  if (spec.dtype !== 'float32') throw corrupt(where, `${spec.name} holds ${spec.dtype} values, not float32`);
  // Copied where wider values need their own alignment.
  if (!q) return new Float32Array(bytes.slice().buffer);
  const stored = q.dtype === 'uint8' ? bytes : new Uint16Array(bytes.slice().buffer);
  const values = new Float32Array(stored.length);
  // Plain loops: a callback per value made the 80 MB model's read four times slower.
  if (q.dtype === 'float16') {
    for (let i = 0; i < stored.length; i++) values[i] = halfToFloat(stored[i]!);
    return values;
  }
  if ((q.dtype !== 'uint8' && q.dtype !== 'uint16') || q.scale === undefined || q.min === undefined) {
    throw corrupt(where, `${spec.name} is quantised as ${q.dtype} without its scale and min`);
  }
  const { scale, min } = q;
  for (let i = 0; i < stored.length; i++) values[i] = stored[i]! * scale + min;
  return values;
}

/** An IEEE 754 half float's value. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

export async function readLayersModelFile(modelJsonPath: string): Promise<Map<string, RawConv>> {
  const text = await readFile(modelJsonPath, 'utf8');
  const dir = path.dirname(modelJsonPath);
  return readLayersModel(text, modelJsonPath, async (p) => {
    const resolved = path.resolve(dir, p);
    if (!resolved.startsWith(path.resolve(dir) + path.sep)) throw new Error('path leaves the model directory');
    return new Uint8Array(await readFile(resolved));
  });
}

export async function readLayersModelUrl(url: string, fetchImpl: typeof fetch): Promise<Map<string, RawConv>> {
  const res = await fetchImpl(url);
  if (res.status === 404) {
    throw new StylizeError(
      'weights-missing',
      `VGG19 weights not found at ${redactUrl(url)} (HTTP 404).`,
    );
  }
  if (!res.ok) throw corrupt(url, `the server answered HTTP ${res.status} for model.json`);
  const text = await res.text();
  return readLayersModel(text, url, async (p) => {
    const shardUrl = new URL(p, url).toString();
    const r = await fetchImpl(shardUrl);
    if (!r.ok) throw new Error(`HTTP ${r.status} for ${redactUrl(shardUrl)}`);
    return new Uint8Array(await r.arrayBuffer());
  });
}
