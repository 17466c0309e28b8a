/**
 * The two fast networks as onnxruntime sessions: the style predictor (a 256×256 painting → 100
 * numbers) and the transfer network (photo + those numbers → the picture, at any size). Images
 * cross as float RGB 0..1, H×W×3 interleaved (NHWC), as the networks take them.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type * as Ort from 'onnxruntime-node';
import { StylizeError, isStylizeError } from '../errors.js';
import { OUTPUT, PREDICTOR_INPUT, STYLE_SIDE, TRANSFER_INPUTS, VECTOR_LENGTH, predictorGraph, transferGraph } from './onnx-graphs.js';
import { readTflite } from './tflite.js';

export interface FastModelFiles {
  /** style_predict_quantized_256.tflite */
  predictor: string;
  /** style_transfer_f16_384.tflite */
  transfer: string;
}

export interface FastImage {
  /** RGB 0..1, H×W×3 interleaved. */
  data: Float32Array;
  width: number;
  height: number;
}

export interface FastNetwork {
  /** The style vector of a STYLE_SIDE × STYLE_SIDE painting. */
  predict(style: Float32Array): Promise<Float32Array>;
  /** The stylised picture, the size of `content`. */
  transfer(content: FastImage, vector: Float32Array): Promise<Float32Array>;
  dispose(): void;
}

/** Two stride-2 convolutions down, two ×2 resizes up: sides must divide by 4 to come back the same. */
const SIDE_MULTIPLE = 4;

async function readModel(file: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new StylizeError('weights-missing', `The fast style ${what} model was not found at ${file}.`, { cause: e });
    throw new StylizeError('weights-missing', `The fast style ${what} model at ${file} could not be read (${code ?? (e as Error).message}).`, { cause: e });
  }
}

async function session(ort: typeof Ort, graph: Uint8Array, file: string, options: Ort.InferenceSession.SessionOptions): Promise<Ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(graph, options);
  } catch (e) {
    throw new StylizeError('weights-corrupt', `The fast style model ${file} did not convert to a working network; download it again.`, { cause: e });
  }
}

/** Reads, converts and opens both networks; `threads` 0 = one per core. */
export async function loadFastNetwork(files: FastModelFiles, opts: { threads?: number } = {}): Promise<FastNetwork> {
  const ort = await import('onnxruntime-node');
  const options: Ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: opts.threads && opts.threads > 0 ? opts.threads : os.availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  // One after the other: with both files missing, the sentence always names the predictor (Promise.all raced).
  const predictorBytes = await readModel(files.predictor, 'predictor');
  const transferBytes = await readModel(files.transfer, 'transfer');
  const predictor = await session(ort, predictorGraph(readTflite(predictorBytes, files.predictor), files.predictor), files.predictor, options);
  const transfer = await session(ort, transferGraph(readTflite(transferBytes, files.transfer), files.transfer), files.transfer, options);
  const run = async (s: Ort.InferenceSession, feeds: Record<string, Ort.Tensor>): Promise<Float32Array> => {
    try {
      const out = await s.run(feeds);
      return out[OUTPUT]!.data as Float32Array;
    } catch (e) {
      if (isStylizeError(e)) throw e;
      throw new StylizeError('internal', 'The fast style network failed to run.', { cause: e });
    }
  };
  const vectorTensor = (v: Float32Array) => new ort.Tensor('float32', v, [1, 1, 1, VECTOR_LENGTH]);
  return {
    async predict(style) {
      return run(predictor, { [PREDICTOR_INPUT]: new ort.Tensor('float32', style, [1, STYLE_SIDE, STYLE_SIDE, 3]) });
    },
    async transfer(content, vector) {
      const padded = padTo(content, SIDE_MULTIPLE);
      const out = await run(transfer, {
        [TRANSFER_INPUTS.content]: new ort.Tensor('float32', padded.data, [1, padded.height, padded.width, 3]),
        [TRANSFER_INPUTS.vector]: vectorTensor(vector),
      });
      return crop(out, padded.width, content);
    },
    dispose() {
      void predictor.release();
      void transfer.release();
    },
  };
}

/** The image with its right and bottom edges repeated up to a multiple of `m`. */
function padTo(img: FastImage, m: number): FastImage {
  const width = Math.ceil(img.width / m) * m;
  const height = Math.ceil(img.height / m) * m;
  if (width === img.width && height === img.height) return img;
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(y, img.height - 1);
    for (let x = 0; x < width; x++) {
      const from = (sy * img.width + Math.min(x, img.width - 1)) * 3;
      const to = (y * width + x) * 3;
      data[to] = img.data[from]!;
      data[to + 1] = img.data[from + 1]!;
      data[to + 2] = img.data[from + 2]!;
    }
  }
  return { data, width, height };
}

function crop(data: Float32Array, paddedWidth: number, size: { width: number; height: number }): Float32Array {
  if (paddedWidth === size.width && data.length === size.width * size.height * 3) return data;
  const out = new Float32Array(size.width * size.height * 3);
  for (let y = 0; y < size.height; y++) out.set(data.subarray(y * paddedWidth * 3, (y * paddedWidth + size.width) * 3), y * size.width * 3);
  return out;
}
