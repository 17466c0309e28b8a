/**
 * GFLOP/s of a forward pass + image gradient through VGG19-shaped 3x3 convs (block1_conv1 ..
 * block4_conv2, avg pooling between blocks, random weights), on the chosen backend.
 *
 *   npx tsx bench/ops.ts [--backend wasm] [--sizes 256,512] [--threads 1,0] [--modes native,custom] [--reps 3]
 *
 * Prints one JSON line per (threads, mode, size), the fastest of `reps` timed steps, then ratio lines (custom vs native, all threads
 * vs one). Each thread count runs in its own child process, since tfjs can start the wasm module
 * only once per process. FLOPs counted: 2·H·W·Cin·Cout·9 per conv forward, the same again for its
 * image gradient.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/engine/tfjs/backend.js';
import { conv2dRelu, pool2x2, prepareConv, setGradientMode, type GradientMode, type PreparedConv } from '../src/engine/tfjs/ops.js';
import type { TfjsBackendChoice as BackendChoice } from '../src/engine/tfjs/backend.js';
import { convFlops } from '../src/engine/layers.js';
import { VGG19_CONV_LAYERS, expectedKernelShape } from '../src/engine/layers.js';

const DEEPEST = 'block4_conv2';
const LAYERS = VGG19_CONV_LAYERS.slice(0, VGG19_CONV_LAYERS.findIndex((l) => l.name === DEEPEST) + 1);

const SLOW_STEP_MS = 15_000;

async function sequential(n: number, f: () => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await f());
  return out;
}

interface Row {
  backend: string;
  threads: number;
  mode: GradientMode;
  size: number;
  ms: number;
  gflops: number;
  gflopPerStep: number;
  /** CPU seconds per wall second during the timed steps: above 1 only when threads really run in parallel. */
  cpuPerWall: number;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

interface Layer {
  block: string;
  conv: PreparedConv;
}

function buildLayers(): Layer[] {
  return LAYERS.map(({ name }) => {
    const [, , cin, cout] = expectedKernelShape(name)!;
    const std = Math.sqrt(2 / (9 * cin));
    const conv = prepareConv(tf.randomNormal([3, 3, cin, cout], 0, std, 'float32', cout + cin) as tf.Tensor4D, tf.zeros([cout]) as tf.Tensor1D);
    return { block: name.slice(0, 6), conv };
  });
}

function step(x: tf.Tensor4D, layers: Layer[]): tf.Tensor {
  return tf.tidy(() =>
    tf.grad((img: tf.Tensor) => {
      let h = img as tf.Tensor4D;
      layers.forEach(({ block, conv }, i) => {
        // A pool ends each block, as in VGG19.
        if (i > 0 && block !== layers[i - 1]!.block) h = pool2x2(h, 'avg');
        h = conv2dRelu(h, conv);
      });
      return tf.mean(tf.square(h));
    })(x),
  );
}

async function child(backend: BackendChoice, threads: number, sizes: number[], modes: GradientMode[], reps: number): Promise<void> {
  const info = await initBackend(backend, { threads });
  const layers = buildLayers();
  for (const size of sizes) {
    const x = tf.randomUniform([1, size, size, 3], -100, 100, 'float32', 7) as tf.Tensor4D;
    for (const mode of modes) {
      setGradientMode(mode);
      const cpuRatios: number[] = [];
      const timeStep = async (): Promise<number> => {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const g = step(x, layers);
        await g.data();
        g.dispose();
        const ms = performance.now() - t0;
        const c = process.cpuUsage(c0);
        cpuRatios.push((c.user + c.system) / 1000 / ms);
        return ms;
      };
      // The first step also pays for kernel set-up and memory growth; when one step is this slow
      // (stock gradients at 512 px) that share is small, and more reps would take minutes.
      const warm = await timeStep();
      const times = warm > SLOW_STEP_MS ? [warm] : await sequential(reps, timeStep);
      const ms = Math.min(...times);
      // Forward pass, then the same again for the image gradient.
      const flops = 2 * convFlops(size, size, DEEPEST);
      const row: Row = { backend: info.name, threads: info.threads, mode, size, ms: Math.round(ms), gflops: +(flops / ms / 1e6).toFixed(1), gflopPerStep: +(flops / 1e9).toFixed(1), cpuPerWall: +Math.max(...cpuRatios).toFixed(2) };
      console.log(JSON.stringify(row));
    }
    x.dispose();
  }
}

function parent(): void {
  const script = fileURLToPath(import.meta.url);
  const rows: Row[] = [];
  for (const threads of arg('threads', '1,0').split(',')) {
    const out = spawnSync(process.execPath, [...process.execArgv, script, ...process.argv.slice(2), '--child', threads], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    for (const line of out.stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      console.log(line);
      rows.push(JSON.parse(line) as Row);
    }
    if (out.status !== 0) console.error(`threads=${threads} child exited with ${out.status}`);
  }
  const find = (threads: 'one' | 'all', mode: GradientMode, size: number): Row | undefined => {
    const bySize = rows.filter((r) => r.size === size && r.mode === mode);
    return threads === 'one' ? bySize.find((r) => r.threads === 1) : bySize.find((r) => r.threads > 1);
  };
  for (const size of [...new Set(rows.map((r) => r.size))]) {
    const ratio = (a?: Row, b?: Row): number | null => (a && b ? +(a.gflops / b.gflops).toFixed(2) : null);
    console.log(
      JSON.stringify({
        size,
        customVsNative1Thread: ratio(find('one', 'custom', size), find('one', 'native', size)),
        customVsNativeAllThreads: ratio(find('all', 'custom', size), find('all', 'native', size)),
        allVsOneThreadCustom: ratio(find('all', 'custom', size), find('one', 'custom', size)),
        bestVsStock: ratio(find('all', 'custom', size), find('one', 'native', size)),
      }),
    );
  }
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) {
  const sizes = arg('sizes', '256,512').split(',').map(Number);
  const modes = arg('modes', 'native,custom').split(',') as GradientMode[];
  await child(arg('backend', 'wasm') as BackendChoice, Number(process.argv[childAt + 1]), sizes, modes, Number(arg('reps', '3')));
} else {
  parent();
}
