/**
 * `npm run fetch-weights`: puts the official Keras VGG19 weights into WEIGHTS_CACHE_DIR
 * (default .cache/weights), checked against Keras's published md5. Safe to run again: a valid
 * file is kept. `--url`/`--md5` point it at a mirror. Then the fast network's two files
 * (engine/fast/models.ts) into its magenta-fast-style folder.
 */
import path from 'node:path';
import { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { ensureFastModels, ensureWeights, fastModelsDirIn, isStylizeError, OFFICIAL_VGG19_H5 } from '../engine/index.js';
import { DEFAULT_WEIGHTS_CACHE_DIR } from '../config.js';
import { formatBytes } from '../util/units.js';

interface Flags {
  dir: string;
  url?: string;
  md5?: string;
}

async function main(argv: string[]): Promise<void> {
  const flags = new Command('fetch-weights')
    .description(`Download the VGG19 weights (Keras .h5, ${formatBytes(OFFICIAL_VGG19_H5.bytes)}) into the cache and check them.`)
    .option('--dir <dir>', 'cache directory', process.env.WEIGHTS_CACHE_DIR?.trim() || DEFAULT_WEIGHTS_CACHE_DIR)
    .option('--url <url>', 'download from this URL instead of the official one')
    .option('--md5 <hex>', 'expected md5 of that file (the official one is built in)')
    .parse(argv)
    .opts<Flags>();

  const tty = process.stderr.isTTY === true;
  const bar = new SingleBar(
    { format: 'VGG19 weights [{bar}] {percentage}% | {received} / {size} | ETA {eta}s', stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  let lastLogged = 0;
  try {
    const file = await ensureWeights(
      { WEIGHTS_CACHE_DIR: flags.dir },
      {
        url: flags.url,
        md5: flags.md5,
        fileName: flags.url ? (new URL(flags.url).pathname.split('/').pop() || OFFICIAL_VGG19_H5.fileName) : undefined,
        log: (m) => process.stderr.write(`${m}\n`),
        onProgress(received, total) {
          const t = total ?? OFFICIAL_VGG19_H5.bytes;
          if (tty) {
            if (!started) bar.start(t, 0, { received: formatBytes(0), size: formatBytes(t) });
            started = true;
            bar.update(received, { received: formatBytes(received) });
          } else if (received - lastLogged >= 10e6 || received === t) {
            // Without a TTY (CI, Docker build) a line per ~10 MB keeps logs readable.
            lastLogged = received;
            process.stderr.write(`  ${formatBytes(received)} / ${formatBytes(t)}\n`);
          }
        },
      },
    );
    if (started) bar.stop();
    process.stdout.write(`VGG19 weights ready: ${file}\n`);
    if (process.env.VGG19_WEIGHTS) {
      process.stdout.write('Note: VGG19_WEIGHTS is set, so the bot uses that instead of this file.\n');
    }
    const ownModels = process.env.FAST_STYLE_MODELS?.trim();
    if (ownModels) {
      // The operator's own copy is used as is: nothing to fetch.
      process.stdout.write(`Fast style models: FAST_STYLE_MODELS is set, so the bot uses ${ownModels}.\n`);
      return;
    }
    const fast = await ensureFastModels(fastModelsDirIn(flags.dir), {
      log: (m) => process.stderr.write(`${m}\n`),
      onProgress: (name, received, total) => {
        if (received === total) process.stderr.write(`  ${name}: ${formatBytes(received)}\n`);
      },
    });
    process.stdout.write(`Fast style models ready: ${path.dirname(fast.predictor)}\n`);
  } catch (e) {
    if (started) bar.stop();
    throw e;
  }
}

/** Codes undici and the resolver give when the download host cannot be reached at all. */
const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);

/** The network code at the bottom of a failed fetch ("fetch failed" says nothing by itself). */
function networkCode(e: unknown): string | undefined {
  for (let x: unknown = e, depth = 0; x instanceof Error && depth < 5; x = x.cause, depth++) {
    const code = (x as NodeJS.ErrnoException).code;
    if (code !== undefined && UNREACHABLE.has(code)) return code;
  }
  return undefined;
}

/** One sentence that says what happened and what to do, never a stack. */
function fetchWeightsFailure(e: unknown): string {
  const code = networkCode(e);
  if (code !== undefined) {
    return (
      `Could not reach the download server for the VGG19 weights (${code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'its name does not resolve: is this machine offline?' : `the connection failed: ${code}`}). ` +
      'Fix: run `npm run fetch-weights` again once this machine is online, or copy the file ' +
      `${OFFICIAL_VGG19_H5.fileName} (${formatBytes(OFFICIAL_VGG19_H5.bytes)}) from a machine that has it and set VGG19_WEIGHTS to its path (README: Without internet).`
    );
  }
  if (isStylizeError(e)) return e.message;
  return `Could not get the VGG19 weights: ${e instanceof Error ? e.message : String(e)}`;
}

main(process.argv).catch((e: unknown) => {
  process.stderr.write(`${fetchWeightsFailure(e)}\n`);
  process.exitCode = 1;
});
