/**
 * How long jobs take. Work is counted in megapixel-steps (one step of one megapixel), summed over
 * the coarse-to-fine scales; the rate (ms per megapixel-step) is the median of the last jobs.
 * A median, not a mean: the first job on a fresh worker pays for compiling kernels and would
 * otherwise skew every estimate after it.
 */
// schedule.ts is plain arithmetic; defaults.ts would pull tfjs into the main thread.
import { DEFAULT_MAX_SIZE, DEFAULT_SIZE, planScales, type StylizeRequest } from '../engine/index.js';

/**
 * Measured with the onnx backend (what `auto` picks on a CPU machine) on a 2-core machine: about
 * 1.4 s per evaluation at 512x341 (0.17 MP); wasm took about 5× as long. Only the first estimates
 * use it; timed jobs replace it. Steps count objective evaluations, the unit the engine budgets in.
 */
export const PRIOR_MS_PER_MEGAPIXEL_STEP = 8_000;

/** Each scale also evaluates the network to set its targets and starting loss: ~2 extra steps. */
const SETUP_STEPS_PER_SCALE = 2;
/** Fixed cost of a step whatever its size (kernel launches, optimiser bookkeeping), in pixels. */
const STEP_OVERHEAD_PIXELS = 2_500;

/**
 * A job's work on an engine whose largest size is `maxSize`: a job that names no size gets the
 * engine's default within that cap (MAX_IMAGE_SIZE=128 makes every default job a 128 px one).
 */
export function jobWork(request: Partial<StylizeRequest>, maxSize = DEFAULT_MAX_SIZE): number {
  const size = request.options?.size ?? Math.min(DEFAULT_SIZE, maxSize);
  // Photos are rarely square: a 3:2 picture has 2/3 of size² pixels.
  return planScales({ ...request.options, size }).reduce(
    (sum, s) => sum + ((s.iterations + SETUP_STEPS_PER_SCALE) * (s.size * s.size * (2 / 3) + STEP_OVERHEAD_PIXELS)) / 1e6,
    0,
  );
}

export class EtaModel {
  readonly #rates: number[] = [];

  constructor(
    private readonly priorMsPerUnit = PRIOR_MS_PER_MEGAPIXEL_STEP,
    private readonly window = 10,
    /** Decoding, encoding and messages around the steps. */
    private readonly overheadMs = 200,
  ) {}

  get msPerUnit(): number {
    // Until a few jobs are timed, the prior counts as one of them.
    const rates = this.#rates.length < 3 ? [...this.#rates, this.priorMsPerUnit] : [...this.#rates];
    rates.sort((a, b) => a - b);
    const mid = rates.length >> 1;
    return rates.length % 2 ? rates[mid]! : (rates[mid - 1]! + rates[mid]!) / 2;
  }

  get samples(): number {
    return this.#rates.length;
  }

  estimateMs(work: number): number {
    return Math.round(this.overheadMs + work * this.msPerUnit);
  }

  record(work: number, ms: number): void {
    if (!(work > 0) || !(ms > this.overheadMs)) return;
    this.#rates.push((ms - this.overheadMs) / work);
    if (this.#rates.length > this.window) this.#rates.shift();
  }
}

/**
 * When each waiting job should be ready, given what the running jobs still need: every waiting
 * job takes the worker that frees up first.
 */
export function scheduleEtas(runningRemainingMs: number[], concurrency: number, waitingMs: number[]): number[] {
  const free = [...runningRemainingMs];
  while (free.length < concurrency) free.push(0);
  return waitingMs.map((ms) => {
    let slot = 0;
    for (let i = 1; i < free.length; i++) if (free[i]! < free[slot]!) slot = i;
    free[slot] = free[slot]! + ms;
    return free[slot]!;
  });
}
