/**
 * `npm run stylize -- <content> <style> [-o out.png] [options]`: the engine from a terminal.
 * Option flags are derived from the shared option schema (same names as the chat command, e.g.
 * `--style_weight 200`) and validated by the same `parseOptions`, so the rules and messages match.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { IMAGE_INPUTS, OptionError, helpLines, optionsFor, parseOptions, type OptionDef } from '../commands/options.js';
import { ConfigError, envSchema, parseEnv, type Env } from '../config.js';
import { createEngine, isStylizeError, type ProgressEvent, type StyleImage } from '../engine/index.js';
import { isEntry } from './is-entry.js';

/** The variables the CLI reads, with the same rules (and one-line errors) as `npm start`. */
const cliEnv = envSchema.pick({ VGG19_WEIGHTS: true, WEIGHTS_CACHE_DIR: true, STYLIZE_BACKEND: true, WASM_THREADS: true, MAX_IMAGE_SIZE: true });
const threadsSchema = cliEnv.shape.WASM_THREADS.unwrap();

interface Fixed {
  output?: string;
  weights: string;
  backend: Env['STYLIZE_BACKEND'];
  threads: number;
}

/** A one-line failure for the user (exit code 1). */
class CliError extends Error {}

function flagFor(def: OptionDef, help: string): Option {
  // Booleans work bare (`--preserve_colors`) or with a value (`--preserve_colors false`).
  return new Option(def.kind === 'boolean' ? `--${def.name} [value]` : `--${def.name} <value>`, help);
}

/** `--threads`, checked against the same range as WASM_THREADS. */
function threadsFlag(value: string): number {
  const parsed = threadsSchema.safeParse(value);
  if (!parsed.success) {
    throw new CliError(`--threads must be a whole number from ${threadsSchema.minValue} to ${threadsSchema.maxValue} (you gave ${JSON.stringify(value)}).`);
  }
  return parsed.data;
}

async function readInput(file: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new CliError(`cannot read the ${what} ${file}: ${reason}`);
  }
}

function describe(e: ProgressEvent): string {
  const eta = e.etaMs === undefined ? '' : ` eta ${Math.ceil(e.etaMs / 1000)}s`;
  return `scale ${e.scale}/${e.scales} ${e.width}x${e.height} step ${e.step}/${e.totalSteps} loss ${e.losses.total.toExponential(3)} (content ${e.losses.content.toExponential(2)}, style ${e.losses.style.toExponential(2)})${eta}`;
}

export async function main(argv: string[]): Promise<void> {
  const env = parseEnv(cliEnv, process.env);
  const defs = optionsFor('cli');
  const program = new Command('stylize')
    .description('Paint <content> in the style of <style> (Gatys et al., VGG19).')
    .option('-o, --output <file>', 'where to write the result (default: <content>-stylized.<format>)')
    .option('--weights <path>', 'VGG19 weights: model.json, directory, URL or .h5', env.VGG19_WEIGHTS ?? env.WEIGHTS_CACHE_DIR)
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(cliEnv.shape.STYLIZE_BACKEND.unwrap().options).default(env.STYLIZE_BACKEND))
    .addOption(new Option('--threads <n>', 'wasm threads, 0 = one per core').argParser(threadsFlag).default(env.WASM_THREADS));
  // The picture inputs of the one schema: required ones are arguments, the others flags.
  for (const img of IMAGE_INPUTS) {
    if (img.required) program.argument(`<${img.name}>`, img.help);
    else program.option(`--${img.name} <file>`, img.help);
  }
  const help = helpLines('cli', env.MAX_IMAGE_SIZE);
  defs.forEach((def, i) => program.addOption(flagFor(def, help[i] ?? def.help)));
  program.showHelpAfterError(false).parse(argv);

  const contentPath = program.args[0]!;
  const flags = program.opts<Fixed & Record<string, unknown>>();
  const raw: Record<string, unknown> = {};
  for (const def of defs) if (flags[def.name] !== undefined) raw[def.name] = flags[def.name];
  const parsed = parseOptions(raw, { sizeCap: env.MAX_IMAGE_SIZE });

  const pictures: Uint8Array[] = [];
  let argument = 0;
  for (const img of IMAGE_INPUTS) {
    const file = img.required ? program.args[argument++] : (flags[img.name] as string | undefined);
    if (file !== undefined) pictures.push(await readInput(file, img.label));
  }
  const [content, ...styleBytes] = pictures as [Uint8Array, ...Uint8Array[]];
  const styles: StyleImage[] = styleBytes.map((bytes) => ({ bytes }));
  const format = parsed.engine.format ?? 'png';
  const output = flags.output ?? `${path.basename(contentPath, path.extname(contentPath))}-stylized.${format === 'jpeg' ? 'jpg' : 'png'}`;

  const engine = await createEngine({ weights: flags.weights, backend: flags.backend, threads: flags.threads, maxSize: env.MAX_IMAGE_SIZE });
  process.stderr.write(`backend ${engine.backend} (${engine.threads} thread${engine.threads === 1 ? '' : 's'})\n`);
  const tty = process.stderr.isTTY === true;
  const bar = new SingleBar(
    { format: 'stylizing [{bar}] {percentage}% | {detail}', stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  let barStarted = false;
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  try {
    const result = await engine.stylize(
      { content, styles, options: parsed.engine },
      {
        signal: controller.signal,
        progressIntervalMs: tty ? 250 : 2000,
        onProgress(e) {
          if (!tty) {
            process.stderr.write(`${describe(e)}\n`);
            return;
          }
          if (!barStarted) bar.start(e.totalSteps, 0, { detail: '' });
          barStarted = true;
          bar.update(e.step, { detail: describe(e) });
        },
      },
    );
    if (barStarted) bar.stop();
    await writeFile(output, result.image);
    const f = result.stats.finalLosses;
    process.stderr.write(
      `wrote ${output} (${result.width}x${result.height}) in ${(result.stats.ms / 1000).toFixed(1)} s; loss ${f.total.toExponential(3)} (content ${f.content.toExponential(2)}, style ${f.style.toExponential(2)}, tv ${f.tv.toExponential(2)})\n`,
    );
  } finally {
    if (barStarted) bar.stop();
    engine.dispose();
  }
}

if (isEntry(import.meta.url)) {
  main(process.argv).then(
    // Wasm worker threads would keep the process alive; the job is done.
    () => process.exit(0),
    (e: unknown) => {
      if (e instanceof ConfigError) {
        // Reads exactly as under `npm start`.
        process.stderr.write(`${e.message}\n`);
      } else {
        const message =
          e instanceof OptionError || e instanceof CliError || isStylizeError(e) ? e.message : `unexpected failure: ${(e as Error)?.message ?? String(e)}`;
        process.stderr.write(`error: ${message}\n`);
      }
      process.exit(1);
    },
  );
}
