/**
 * The fast network inside an engine: opened on first use (where the runtime says: in the onnx
 * session process, else in this process), and a `fast` mode job from its prepared request.
 */
import { encodeImage, type RgbImage } from '../image.js';
import { StylizeError } from '../errors.js';
import type { Runtime } from '../runtime/types.js';
import type { StylizeOptions, StylizeResult } from '../types.js';
import { fastModelFiles } from './models.js';
import { loadFastNetwork, type FastNetwork } from './network.js';
import { fastPicture } from './picture.js';

/** A lazily opened fast network; `dispose` is safe whether or not it was opened. */
export function fastNetworkOf(runtime: Pick<Runtime, 'threads' | 'fastNetwork'>, modelsDir: string | undefined): { get(): Promise<FastNetwork>; dispose(): void } {
  let opening: Promise<FastNetwork> | undefined;
  return {
    get() {
      if (modelsDir === undefined) {
        return Promise.reject(new StylizeError('weights-missing', 'The fast style models are not set up for this engine (no fastModels directory was given).'));
      }
      const files = fastModelFiles(modelsDir);
      // A failed opening (files missing) is tried again next time: the operator may fix it meanwhile.
      opening ??= (runtime.fastNetwork ? Promise.resolve(runtime.fastNetwork(files)) : loadFastNetwork(files, { threads: runtime.threads })).catch(
        (e: unknown) => {
          opening = undefined;
          throw e;
        },
      );
      return opening;
    },
    dispose() {
      void opening?.then((n) => n.dispose(), () => undefined);
    },
  };
}

export interface PreparedFastJob {
  opts: StylizeOptions;
  styleWeights: number[];
  vectors?: readonly (readonly number[] | undefined)[];
  content: RgbImage;
  styles: RgbImage[];
  out: { width: number; height: number };
}

/** A `fast` mode job: the picture, encoded, with stats (no painting steps, so no losses: NaN). */
export async function runFastJob(net: FastNetwork, job: PreparedFastJob, meta: { backend: Runtime['name']; threads: number; started: number }): Promise<StylizeResult> {
  const { opts, out } = job;
  const picture = await fastPicture(net, job);
  const image = await encodeImage(picture, opts.format);
  const none = { content: NaN, style: NaN, tv: NaN, total: NaN };
  return {
    image,
    mime: opts.format === 'png' ? 'image/png' : 'image/jpeg',
    width: out.width,
    height: out.height,
    stats: {
      backend: meta.backend,
      threads: meta.threads,
      width: out.width,
      height: out.height,
      seed: opts.seed,
      scales: [],
      finalLosses: none,
      ms: Math.round(performance.now() - meta.started),
    },
  };
}
