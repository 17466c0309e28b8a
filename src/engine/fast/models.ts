/**
 * Where the two fast-network files come from: TensorFlow's published TFLite versions of Magenta's
 * arbitrary-image-stylization network (Apache-2.0), as kept in a public repository at a fixed
 * commit, each checked by SHA-256. The VGG19 download's helper fetches them.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { StylizeError } from '../errors.js';
import { downloadWeights, hashFile, isFile, type DownloadOptions } from '../weights/download.js';
import type { FastModelFiles } from './network.js';

const SOURCE = 'https://raw.githubusercontent.com/asus4/tf-lite-unity-sample/29ab4cd24453ab2153acc992d5164db1dd784821/Assets/StreamingAssets/';

export const FAST_MODELS = {
  predictor: { fileName: 'style_predict_quantized_256.tflite', sha256: 'af6ad4b2e7aeba0675f32636082ab915ced5375229a3f8aff7e714c6213f5ed2', bytes: 2_828_838 },
  transfer: { fileName: 'style_transfer_f16_384.tflite', sha256: '53b5243ed5aa33e408db7976c8a8e51a90a0f7708fd122a31428cd00fbdf6aa6', bytes: 422_086 },
} as const;

/** Where a weights cache keeps the fast models (its own folder, beside the VGG19 file). */
export function fastModelsDirIn(cacheDir: string): string {
  return path.join(cacheDir, 'magenta-fast-style');
}

/** The two files as they are named in `dir`. */
export function fastModelFiles(dir: string): FastModelFiles {
  return { predictor: path.join(dir, FAST_MODELS.predictor.fileName), transfer: path.join(dir, FAST_MODELS.transfer.fileName) };
}


export interface EnsureFastModelsOptions extends Pick<DownloadOptions, 'fetch' | 'signal'> {
  /** Where the files are fetched from (a folder URL ending in /). Default: the public copy above. */
  baseUrl?: string;
  log?: (message: string) => void;
  /** Per file, as bytes arrive. */
  onProgress?: (file: string, received: number, total: number | undefined) => void;
}

/**
 * `dir` holding both files with the right checksums, downloading (and checking) those missing or
 * damaged. Errors: StylizeError 'weights-missing' (network) or 'weights-corrupt' (checksum).
 */
export async function ensureFastModels(dir: string, opts: EnsureFastModelsOptions = {}): Promise<FastModelFiles> {
  const files = fastModelFiles(dir);
  for (const key of ['predictor', 'transfer'] as const) {
    const { fileName, sha256, bytes } = FAST_MODELS[key];
    const dest = files[key];
    if (await isFile(dest)) {
      if ((await hashFile(dest, 'sha256')) === sha256) continue;
      opts.log?.(`The fast style model ${dest} fails its checksum; downloading it again.`);
      await rm(dest, { force: true });
    } else {
      opts.log?.(`Downloading the fast style model ${fileName} (${Math.round(bytes / 1024)} KiB) to ${dest}.`);
    }
    const url = `${opts.baseUrl ?? SOURCE}${fileName}`;
    try {
      await downloadWeights(dest, {
        url,
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        onProgress: (received, total) => opts.onProgress?.(fileName, received, total),
      });
    } catch (e) {
      // The helper's sentence names the VGG19 weights; this one says which file it was.
      const detail = e instanceof Error ? e.message.replace(/the VGG19 weights/g, 'it') : String(e);
      throw new StylizeError(e instanceof StylizeError ? e.code : 'weights-missing', `Could not download the fast style model ${fileName}: ${detail}`, { cause: e });
    }
    const actual = await hashFile(dest, 'sha256');
    if (actual !== sha256) {
      await rm(dest, { force: true });
      throw new StylizeError(
        'weights-corrupt',
        `The fast style model downloaded from ${url} has SHA-256 ${actual}, expected ${sha256}, so it was deleted. Download it again; if it keeps failing, the URL serves a different file.`,
      );
    }
  }
  return files;
}
