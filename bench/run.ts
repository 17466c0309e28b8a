/**
 * `npm run bench [-- flags]`: engine speed and quality as JSON lines on stdout (progress on stderr).
 * Each part runs only when its flag is given (all of them when none is), so it can run in pieces:
 *
 *   --steps     ms per objective evaluation (forward + image gradient + L-BFGS update) per
 *               backend and size, conv GFLOP/s, peak RSS; then onnx/other ratios per size
 *   --peak      GFLOP/s of a large MatMul in onnxruntime (this machine's practical limit) and the
 *               onnx step's conv GFLOP/s as a fraction of it (target ≥ 0.7)
 *   --rss       peak RSS of a default 1024 px job on the first backend, in a fresh process (≤ 4 GB)
 *   --job       default jobs (default options, --job_size px; --job_repeat of them on one fresh
 *               engine: the first predicts with the prior cost curve, later ones with learnt costs): total time, time to first preview,
 *               longest gap between progress events, delivered loss (target ≤ 2.52e5 at 512 px:
 *               PyTorch's 50 L-BFGS iterations), ETA error at the end of each scale; then the
 *               onnx/other total-time ratio (target ≤ 0.25)
 *   --quality   time to quality at --quality_size px: the seed's recipe (one scale at full size,
 *               Adam lr 4, content init) vs the default coarse-to-fine pipeline, both scored by
 *               the full-resolution loss of the saved image; then how long the default needs to
 *               reach the loss the seed's recipe has after --adam_steps steps
 *   --event_loop the main thread's event-loop delay while a 512 px job runs in the queue's worker
 *               (bench/event-loop.ts in its own process, so its worker starts cold as the bot's does)
 *   --fast      the fast network (bench/fast.ts): predictor ms, transfer ms at 512 and 1024 px,
 *               and each as a ratio to one 512 px painting step timed in the same run (target:
 *               transfer at 512 px ≤ 0.15× a step); then a whole fast job at 512 px through the
 *               engine. Models: FAST_STYLE_MODELS or the shared copy.
 *   --instant   ms from a /stylize to its instant picture on screen, through the bot and the
 *               Discord emulator with the real engine painting (bench/instant.ts): the line empty,
 *               ten users at once, and 10 jobs waiting (target ≤ 1.5 s; ten at once ≤ 3 s)
 *
 *   --backends onnx,wasm   --sizes 256,512   --step_count 5   --job_size 512
 *   --job_content golden_gate.jpg   the default job's photo (default chicago.jpg, 3:2; golden_gate
 *               and statue_of_liberty are square, and a square 512 px canvas is the largest that
 *               the shared Winograd session serves)
 *   --onnx_conv winograd,direct   the onnx conv algorithms --steps times, each size's in turn
 *               (A/B interleaved, --rounds times), reported as backend onnx with its conv;
 *               the other parts use the first
 *   --quality_size 256 (512 Adam steps take ~40 min on 2 cores)   --adam_steps 500
 *   --budgets 30,60,120,240,480   --seed_loss <n> (reuse an earlier seed run)
 *   --large     large sizes (issue 27; bench/large.ts, each job alone in a fresh process): ms per
 *               evaluation per megapixel of one-scale jobs at 1024 px untiled, then tiled at 1024,
 *               2048 and 4096 px (--large_sizes), each as a ratio to the untiled 1024 px figure
 *               (target ≤ 1.25); peak RSS of both processes (2048 px ≤ 4 GB, 4096 px ≤ 6 GB);
 *               with --large_default, one default 2048 px job on chicago + udnie (total time, ETA
 *               error on its tiled scale, the picture in --out)
 *               and, drift cancelled, the median ratio of 1024 px and each tiled size below 4096
 *               run in turn in one process (bench/tile-cost.ts, --large_rounds rounds)
 *   --large_sizes 1024,2048,4096   --large_evaluations 3   --large_default   --large_rounds 3
 *   --weights <path>   --out <dir> (result PNGs)
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { createEngine, type BackendChoice, type Engine, type StylizeRequest } from '../src/engine/index.js';
import { convFlops } from '../src/engine/layers.js';
import { image, WEIGHTS } from '../test/support/fixtures.js';
import { FAST_MODELS_DIR } from '../test/engine/support/fast-models.js';
import { fastTimes } from './fast.js';
import { msPerEvaluation } from './step-time.js';
import { childProcesses } from '../src/util/process-tree.js';

interface Flags {
  steps?: boolean;
  peak?: boolean;
  rss?: boolean;
  job?: boolean;
  quality?: boolean;
  eventLoop?: boolean;
  fast?: boolean;
  backends: string;
  sizes: string;
  stepCount: string;
  jobSize: string;
  qualitySize: string;
  adamSteps: string;
  budgets: string;
  weights: string;
  out?: string;
}

const flags = new Command('bench')
  .option('--steps')
  .option('--peak')
  .option('--rss')
  .option('--job')
  .option('--quality')
  .option('--event_loop')
  .option('--fast')
  .option('--instant')
  .option('--large')
  .option('--large_sizes <list>', 'tiled sizes for --large', '1024,2048,4096')
  .option('--large_evaluations <n>', 'evaluations of each one-scale job in --large', '3')
  .option('--large_default', 'also a default 2048 px job in --large')
  .option('--large_rounds <n>', 'rounds of the interleaved per-megapixel ratio in --large (0: none)', '3')
  .option('--backends <list>', 'backends to compare', 'onnx,wasm')
  .option('--sizes <list>', 'long sides for --steps', '256,512')
  .option('--step_count <n>', 'steps timed per size', '5')
  .option('--onnx_conv <list>', 'onnx conv algorithms to time in --steps', 'winograd,direct')
  .option('--rounds <n>', 'times each size is timed per engine in --steps', '1')
  .option('--job_size <px>', 'size of the default job', '512')
  .option('--job_content <file>', 'photo of the default job (a file in ../shared/images)', 'chicago.jpg')
  .option('--job_iterations <n>', 'evaluation budget of the job (default: the engine default)')
  .option('--job_repeat <n>', 'default jobs run one after another on one engine (the 2nd has learnt its costs)', '2')
  .option('--quality_size <px>', 'size for --quality', '256')
  .option('--adam_steps <n>', "steps of the seed's recipe", '500')
  .option('--budgets <list>', 'iteration budgets of the default pipeline for --quality', '30,60,120,240,480')
  .option('--seed_loss <n>', "the seed recipe's loss from an earlier run: skips re-running it")
  .option('--weights <path>', 'VGG19 weights', process.env.VGG19_WEIGHTS ?? WEIGHTS)
  .option('--out <dir>', 'write result PNGs here')
  .parse(process.argv)
  .opts<Flags>();
// commander keeps snake_case flag names as given.
const opt = flags as unknown as Record<string, string | boolean | undefined>;
const all = !flags.steps && !flags.job && !flags.quality && !opt.event_loop && !flags.peak && !flags.rss && !flags.fast && !opt.instant && !opt.large;
const list = (s: string) => s.split(',').map((v) => v.trim()).filter(Boolean);

const content = image('chicago.jpg');
/** The photo of the default job (--job, --rss). */
const jobContent = String(opt.job_content);
const style = image('udnie.jpg');
const req = (options: StylizeRequest['options']): StylizeRequest => ({ content, styles: [{ bytes: style }], options });

const rows: Record<string, unknown>[] = [];
function emit(record: Record<string, unknown>): void {
  rows.push(record);
  process.stdout.write(`${JSON.stringify({ ...record, peakRssMb: peakRssMb() })}\n`);
}
/**
 * This process's peak RSS plus each live child's (the onnx session process): an upper bound on
 * what the job held at once, since the two peaks need not coincide.
 */
function peakRssMb(): number {
  const children = childProcesses().reduce((sum, c) => sum + c.peakRssBytes, 0);
  return Math.round(process.resourceUsage().maxRSS / 1024 + children / 2 ** 20);
}
const log = (m: string) => process.stderr.write(`${m}\n`);

async function stepTimes(engine: Engine, size: number, count: number, round: number, conv?: string): Promise<void> {
  const { ms, ...dims } = await msPerEvaluation(engine, req({}), size, count);
  const gflop = (2 * convFlops(dims.height, dims.width, 'block5_conv1')) / 1e9;
  emit({
    part: 'steps',
    backend: engine.backend,
    ...(conv ? { conv } : {}),
    round,
    threads: engine.threads,
    size,
    ...dims,
    msPerEvaluation: Math.round(ms),
    gflopPerStep: +gflop.toFixed(1),
    gflops: +((gflop / ms) * 1000).toFixed(1),
  });
}

async function defaultJob(engine: Engine, size: number, run: number): Promise<void> {
  const t0 = performance.now();
  let firstPreviewMs: number | undefined;
  let pending: Promise<void> | undefined;
  let lastEvent: number | undefined;
  let maxProgressGapMs = 0;
  /** At the end of each scale: when the job said it would finish. */
  const predictions: { scale: number; at: number; finishAt: number }[] = [];
  const iterations = opt.job_iterations === undefined ? undefined : Number(opt.job_iterations);
  const result = await engine.stylize({ ...req({ size, iterations }), content: image(jobContent) }, {
    onProgress(e) {
      const now = performance.now();
      if (e.iteration === e.iterations && e.etaMs !== undefined && e.scale < e.scales && !predictions.some((p) => p.scale === e.scale)) predictions.push({ scale: e.scale, at: now, finishAt: now + e.etaMs });
      if (lastEvent !== undefined) maxProgressGapMs = Math.max(maxProgressGapMs, now - lastEvent);
      lastEvent = now;
      // The first preview that shows optimisation work, timed until its PNG is ready.
      if (firstPreviewMs === undefined && pending === undefined && e.step > 0) {
        pending = e.preview().then(() => {
          firstPreviewMs = performance.now() - t0;
        });
      }
    },
  });
  const end = performance.now();
  await pending;
  if (flags.out) writeFileSync(path.join(flags.out, `bench-default-${engine.backend}-${size}.png`), result.image);
  emit({
    part: 'job',
    backend: engine.backend,
    // 1: the engine's first job (ETA from the prior cost curve); 2+: with the costs it learnt.
    run,
    size,
    content: jobContent,
    iterations: result.stats.scales.reduce((a, s) => a + s.iterations, 0),
    totalMs: Math.round(end - t0),
    // (predicted − actual) / actual time left, after each scale but the last.
    etaErrorAfterScale: predictions.map((p) => +((p.finishAt - end) / (end - p.at)).toFixed(3)),
    finalLoss: Math.round(result.stats.finalLosses.total),
    firstPreviewMs: firstPreviewMs === undefined ? null : Math.round(firstPreviewMs),
    // Longest silence between progress events (promised: 2 s), and the wait for the first.
    maxProgressGapMs: Math.round(maxProgressGapMs),
    scales: result.stats.scales.map((s) => ({ size: `${s.width}x${s.height}`, iterations: s.iterations, ms: s.ms, total: s.losses.total })),
    finalLosses: result.stats.finalLosses,
  });
}

/** GFLOP/s of a 2048² MatMul in onnxruntime on this machine, with the threads the engine uses. */
async function matmulPeak(): Promise<void> {
  const ort = await import('onnxruntime-node');
  const { GraphBuilder } = await import('../src/engine/onnx/graph-builder.js');
  const n = 2048;
  const b = new GraphBuilder();
  const a = b.input('a', [n, n]);
  b.output(b.op('MatMul', [a, b.float(new Float32Array(n * n).fill(0.001), [n, n])]), 'y', [n, n]);
  const threads = os.availableParallelism();
  const session = await ort.InferenceSession.create(b.encode('matmul'), { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const feeds = { a: new ort.Tensor('float32', new Float32Array(n * n).fill(1), [n, n]) };
  await session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await session.run(feeds);
    times.push(performance.now() - t);
  }
  const ms = Math.min(...times);
  emit({ part: 'peak', op: `MatMul ${n}x${n}x${n}`, threads, ms: Math.round(ms), gflops: +((2 * n ** 3) / ms / 1e6).toFixed(1) });
  await session.release();
}

/** onnx against every other backend measured in this run, per size and for the default job. */
function ratios(): void {
  const peak = rows.find((r) => r.part === 'peak')?.gflops as number | undefined;
  const steps = rows.filter((r) => r.part === 'steps');
  for (const onnx of steps.filter((r) => r.backend === 'onnx')) {
    // Within a round only: its engines were timed one after another, under the same load.
    for (const other of steps.filter((r) => r.backend !== 'onnx' && r.size === onnx.size && r.round === onnx.round)) {
      emit({ part: 'ratio', what: 'ms per step', size: onnx.size, conv: onnx.conv, round: onnx.round, onnx: onnx.msPerEvaluation, [String(other.backend)]: other.msPerEvaluation, ratio: +((onnx.msPerEvaluation as number) / (other.msPerEvaluation as number)).toFixed(3), target: 0.2 });
    }
    for (const direct of steps.filter((r) => r.backend === 'onnx' && r.conv === 'direct' && r.conv !== onnx.conv && r.size === onnx.size && r.round === onnx.round)) {
      emit({ part: 'ratio', what: 'onnx ms per step vs direct convs', size: onnx.size, conv: onnx.conv, round: onnx.round, ratio: +((onnx.msPerEvaluation as number) / (direct.msPerEvaluation as number)).toFixed(3) });
    }
    if (peak) emit({ part: 'ratio', what: 'onnx conv GFLOP/s / MatMul GFLOP/s', size: onnx.size, conv: onnx.conv, ratio: +((onnx.gflops as number) / peak).toFixed(3), target: 0.7 });
  }
  const jobs = rows.filter((r) => r.part === 'job');
  for (const onnx of jobs.filter((r) => r.backend === 'onnx')) {
    for (const other of jobs.filter((r) => r.backend !== 'onnx' && r.size === onnx.size && r.iterations === onnx.iterations && r.run === onnx.run)) {
      emit({ part: 'ratio', what: 'default job total time', size: onnx.size, ratio: +((onnx.totalMs as number) / (other.totalMs as number)).toFixed(3), target: 0.25 });
    }
  }
}

async function seedRecipe(engine: Engine, size: number, adamSteps: number): Promise<number> {
  const t0 = performance.now();
  let lastStep = -1;
  const seed = await engine.stylize(req({ size, optimizer: 'adam', learningRate: 4, scales: [{ size, iterations: adamSteps }] }), {
    progressIntervalMs: 0,
    onProgress(e) {
      // Loss at full resolution of the (clamped) image before each update; streamed, so a run cut
      // short still tells the curve so far.
      if ((e.iteration % 50 === 0 || e.iteration === e.iterations) && e.step !== lastStep) {
        lastStep = e.step;
        emit({ part: 'quality', recipe: 'seed', size, step: e.iteration, ms: Math.round(e.elapsedMs), total: e.losses.total });
      }
    },
  });
  if (flags.out) writeFileSync(path.join(flags.out, `bench-seed-adam-${size}.png`), seed.image);
  const loss = seed.stats.finalLosses.total;
  emit({ part: 'quality', recipe: 'seed: adam lr 4, one scale, content init', size, steps: adamSteps, ms: Math.round(performance.now() - t0), finalLoss: loss });
  return loss;
}

async function timeToQuality(engine: Engine, size: number, adamSteps: number, budgets: number[]): Promise<void> {
  const given = opt.seed_loss === undefined ? undefined : Number(opt.seed_loss);
  const seedLoss = given ?? (await seedRecipe(engine, size, adamSteps));

  // The default pipeline's full-resolution loss over time is its curve during the last scale; the
  // first point at or below the seed's loss answers "how long does the default need".
  let reached: { iterations: number; ms: number; step: number } | undefined;
  for (const iterations of budgets) {
    const t = performance.now();
    let crossing: { ms: number; step: number } | undefined;
    const r = await engine.stylize(req({ size, iterations }), {
      progressIntervalMs: 0,
      onProgress(e) {
        if (!crossing && e.scale === e.scales && e.iteration > 0 && e.losses.total <= seedLoss) {
          crossing = { ms: Math.round(performance.now() - t), step: e.step };
        }
      },
    });
    const ms = Math.round(performance.now() - t);
    if (!crossing && r.stats.finalLosses.total <= seedLoss) crossing = { ms, step: iterations };
    if (flags.out) writeFileSync(path.join(flags.out, `bench-default-${size}-it${iterations}.png`), r.image);
    emit({ part: 'quality', recipe: 'default: auto coarse-to-fine L-BFGS', size, iterations, ms, finalLoss: r.stats.finalLosses.total, reachedSeedLossAt: crossing ?? null, scales: r.stats.scales.map((s) => `${s.width}x${s.height}:${s.iterations}`) });
    if (!reached && crossing) reached = { iterations, ...crossing };
  }
  emit({ part: 'quality', summary: true, size, seedSteps: adamSteps, seedLoss, seedLossGiven: given !== undefined, defaultReachesItAt: reached ?? null });
}

/** An engine of `backend`; for onnx, with the given conv algorithm (read when its worker starts). */
async function engineFor(backend: BackendChoice, conv?: string): Promise<Engine> {
  if (conv) process.env.STYLIZE_ONNX_CONV = conv;
  try {
    // With the fast network, as a bot's engine has it: the default start is the fast picture where it holds.
    return await createEngine({ weights: flags.weights, backend, maxSize: 4096, fastModels: FAST_MODELS_DIR });
  } finally {
    delete process.env.STYLIZE_ONNX_CONV;
  }
}

if (all || flags.peak) await matmulPeak();
const onnxConvs = list(String(opt.onnx_conv));
if (all || flags.steps) {
  // Every engine at once, so that each size is timed on all of them side by side.
  const engines: { engine: Engine; conv?: string }[] = [];
  for (const backend of list(flags.backends) as BackendChoice[]) {
    for (const conv of backend === 'onnx' ? onnxConvs : [undefined]) {
      const engine = await engineFor(backend, conv);
      log(`backend ${engine.backend}${conv ? ` (${conv} convs)` : ''}, ${engine.threads} threads`);
      engines.push({ engine, conv });
    }
  }
  for (const size of list(flags.sizes).map(Number)) {
    for (let r = 1; r <= Number(opt.rounds); r++) for (const { engine, conv } of engines) await stepTimes(engine, size, Number(opt.step_count), r, conv);
  }
  for (const { engine } of engines) engine.dispose();
}
const engineParts = all || flags.job || flags.quality;
for (const backend of engineParts ? (list(flags.backends) as BackendChoice[]) : []) {
  // The engine as users get it: its own choice of conv algorithm per scale.
  const engine = await engineFor(backend);
  log(`backend ${engine.backend}, ${engine.threads} threads`);
  // Each backend's engine is fresh here, so its first job knows nothing of the sizes timed above.
  if (all || flags.job) for (let run = 1; run <= Number(opt.job_repeat); run++) await defaultJob(engine, Number(opt.job_size), run);
  if (all || flags.quality) await timeToQuality(engine, Number(opt.quality_size), Number(opt.adam_steps), list(flags.budgets).map(Number));
  engine.dispose();
}

ratios();
if (all || flags.fast) {
  const engine = await createEngine({ weights: flags.weights, backend: 'onnx', maxSize: 4096, fastModels: FAST_MODELS_DIR });
  log(`fast network beside a 512 px painting step, ${engine.threads} threads`);
  await stepTimes(engine, 512, Number(opt.step_count), 1);
  const stepMs = rows.at(-1)!.msPerEvaluation as number;
  const { predictorMs, transferMs } = await fastTimes(FAST_MODELS_DIR, engine.threads, Number(opt.step_count));
  const ratio = (ms: number) => +(ms / stepMs).toFixed(3);
  emit({ part: 'fast', what: 'predictor 256x256', ms: +predictorMs.toFixed(1), stepMs512: stepMs, ratio: ratio(predictorMs) });
  for (const [side, ms] of Object.entries(transferMs)) {
    emit({ part: 'fast', what: `transfer ${side}x${side}`, ms: Math.round(ms), stepMs512: stepMs, ratio: ratio(ms), ...(side === '512' ? { target: 0.15 } : {}) });
  }
  // The whole fast job as a user gets it (decode, predictor, transfer, resize, PNG), once warm.
  const fastJob = req({ mode: 'fast', size: 512 });
  await engine.stylize(fastJob);
  const t0 = performance.now();
  const r = await engine.stylize(fastJob);
  emit({ part: 'fast', what: 'fast job 512 px (engine, warm)', content: 'chicago.jpg', width: r.width, height: r.height, ms: Math.round(performance.now() - t0) });
  engine.dispose();
}
if (all || flags.rss) {
  // A fresh process, so its peak RSS is the 1024 px job's alone.
  const [backend] = list(flags.backends);
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--job', '--job_size', '1024', '--job_repeat', '1', '--job_content', jobContent, '--backends', backend!, '--weights', flags.weights], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const job = JSON.parse(out.trim().split('\n').find((l) => l.includes('"part":"job"'))!) as Record<string, unknown>;
  emit({ part: 'rss-1024', backend, content: jobContent, totalMs: job.totalMs, childPeakRssMb: job.peakRssMb, targetMb: 4096 });
}

if (all || opt.event_loop) {
  const line = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./event-loop.ts', import.meta.url))], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, VGG19_WEIGHTS: flags.weights },
  });
  emit({ part: 'event-loop', ...JSON.parse(line.trim().split('\n').at(-1)!) });
}
if (all || opt.instant) {
  // Its own process: the bot, the emulator and the real engine, as a user meets them.
  const out = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./instant.ts', import.meta.url))], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, VGG19_WEIGHTS: flags.weights },
  });
  for (const line of out.trim().split('\n').filter((l) => l.startsWith('{'))) emit(JSON.parse(line) as Record<string, unknown>);
}

if (opt.large) {
  // Each job alone in a fresh process: its peak RSS is its own, and no two large jobs share the cores.
  const large = (args: string[], env: Record<string, string> = {}) => {
    const line = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./large.ts', import.meta.url)), ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, VGG19_WEIGHTS: flags.weights, ...env },
    });
    return JSON.parse(line.trim().split('\n').at(-1)!) as Record<string, unknown> & { msPerEvaluationPerMp: number; jobPeakRssMb: number };
  };
  const evaluations = String(opt.large_evaluations);
  const untiled = large(['--size', '1024', '--evaluations', evaluations]);
  emit({ ...untiled, what: 'untiled 1024 px: the reference' });
  const targets: Record<number, number> = { 2048: 4096, 4096: 6144 };
  for (const size of list(String(opt.large_sizes)).map(Number)) {
    // 1024 px is tiled only when asked (its canvas is the largest computed whole).
    const r = large(['--size', String(size), '--evaluations', size >= 4096 ? '2' : evaluations], size <= 1024 ? { STYLIZE_ONNX_TILE_ABOVE: '0' } : {});
    emit({ ...r, perMpRatioToUntiled1024: +(r.msPerEvaluationPerMp / untiled.msPerEvaluationPerMp).toFixed(3), targetRatio: 1.25, ...(targets[size] ? { targetPeakRssMb: targets[size] } : {}) });
  }
  // The ratio that decides the target, with the machine's drift cancelled: 1024 px and each tiled
  // size in turn in one process (bench/tile-cost.ts), each tiled figure over the 1024 px ones beside it.
  const rounds = String(opt.large_rounds);
  const tiledSizes = list(String(opt.large_sizes)).filter((s) => Number(s) > 1024 && Number(s) < 4096);
  if (rounds !== '0' && tiledSizes.length > 0) {
    const lines = execFileSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./tile-cost.ts', import.meta.url)), '--sizes', tiledSizes.join(','), '--rounds', rounds, '--evaluations', evaluations], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, VGG19_WEIGHTS: flags.weights },
    });
    for (const line of lines.trim().split('\n')) emit({ ...(JSON.parse(line) as Record<string, unknown>), targetRatio: 1.25 });
  }
  if (opt.large_default) {
    const out = flags.out ? path.join(flags.out, 'large-2048-chicago-udnie.png') : undefined;
    emit(large(['--size', '2048', '--default', ...(out ? ['--out', out] : [])]));
  }
}

// The wasm backend's thread pool keeps the process alive.
process.exit(0);
