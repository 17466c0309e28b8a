/**
 * An engine that makes fast pictures only: no VGG19 and no painting runtime, so it opens in a
 * second and holds a few MB. The chat process's instant lane (src/queue/fast-lane.ts) runs it.
 */
import { DEFAULT_MAX_SIZE } from '../defaults.js';
import { DEFAULT_SIZE } from '../schedule.js';
import { StylizeError, isStylizeError } from '../errors.js';
import { encodeImage } from '../image.js';
import { DEFAULT_LIMITS } from '../options.js';
import { prepareJob } from '../stylize.js';
import type { EngineConfig, StylizeRequest, StylizeResult } from '../types.js';
import { fastNetworkOf, runFastJob } from './job.js';
import type { FastNetwork } from './network.js';
import { STYLE_SIDE } from './onnx-graphs.js';

export interface FastEngine {
  /** Opens the network; rejects with the engine's sentence when the model files are missing or bad. */
  ready(): Promise<void>;
  /** The request's fast picture (its `mode` is taken as `fast`), refusing bad input as the engine does. */
  stylize(request: StylizeRequest): Promise<StylizeResult>;
  dispose(): void;
}

export type FastEngineConfig = Pick<EngineConfig, 'fastModels' | 'maxSize' | 'limits' | 'threads'>;

/**
 * The first run at a larger size than any before costs about twice the next (the runtime sizes its
 * memory then): paid once at the default size, which smaller pictures then reuse.
 */
async function warmUp(net: FastNetwork, side: number): Promise<void> {
  const vector = await net.predict(new Float32Array(STYLE_SIDE * STYLE_SIDE * 3));
  await net.transfer({ data: new Float32Array(side * side * 3), width: side, height: side }, vector);
}

export function createFastEngine(config: FastEngineConfig): FastEngine {
  // One thread by default: the lane runs beside paintings and must not take their cores.
  const threads = config.threads !== undefined && config.threads > 0 ? config.threads : 1;
  const net = fastNetworkOf({ threads }, config.fastModels);
  const limits = { maxSize: config.maxSize ?? DEFAULT_MAX_SIZE, limits: { ...DEFAULT_LIMITS, ...config.limits } };
  const engine: FastEngine = {
    // The first runs of a fresh session (and of sharp in this thread) are several times slower:
    // paid here, with a small job through every stage, not by the first user.
    ready: async () => {
      await warmUp(await net.get(), Math.min(DEFAULT_SIZE, limits.maxSize));
      const card = await encodeImage({ data: new Uint8Array(96 * 64 * 3).fill(128), width: 96, height: 64 }, 'png');
      await engine.stylize({ content: card, styles: [{ bytes: card }], options: { size: 64, format: 'jpeg' } });
    },
    async stylize(request) {
      const started = performance.now();
      const { opts, styleWeights, content, styles, out } = await prepareJob({ ...request, options: { ...request.options, mode: 'fast' } }, limits);
      return runFastJob(await net.get(), { opts, styleWeights, content, styles, out }, { backend: 'onnx', threads, started }).catch((e: unknown) => {
        if (isStylizeError(e)) throw e;
        throw new StylizeError('internal', 'Something went wrong while making the fast picture; please try again.', { cause: e });
      });
    },
    dispose: () => net.dispose(),
  };
  return engine;
}
