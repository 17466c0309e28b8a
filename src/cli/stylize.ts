/**
 * `npm run stylize -- <content> <style> [-o out.png] [options]`: the engine from a terminal.
 * Option flags are derived from the shared option schema (same names as the chat command, e.g.
 * `--style_weight 200`) and validated by the same `parseOptions`, so the rules and messages match.
 */
import { access, constants, readFile, stat, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { IMAGE_INPUTS, OptionError, helpLines, optionsFor, parseOptions, type OptionDef } from '../commands/options.js';
import { ConfigError, envSchema, intSetting, parseEnv, readProcessEnv, type Env } from '../config.js';
import {
  BACKEND_CHOICES,
  checkRequest,
  createEngine,
  fastModelsDirIn,
  isStylizeError,
  type ImageLimits,
  type OutputFormat,
  type ProgressEvent,
  type StyleImage,
} from '../engine/index.js';
import { formatBytes } from '../util/units.js';
import { isEntry } from './is-entry.js';
import { withWeightsFix } from './weights-fix.js';

/** The variables the CLI reads (from the environment and `.env`), with the same rules and one-line errors as `npm start`. */
const cliEnv = envSchema.pick({
  VGG19_WEIGHTS: true,
  WEIGHTS_CACHE_DIR: true,
  FAST_STYLE_MODELS: true,
  STYLIZE_BACKEND: true,
  STYLIZE_ONNX_CONV: true,
  WASM_THREADS: true,
  MAX_IMAGE_SIZE: true,
  MAX_INPUT_BYTES: true,
  MAX_INPUT_PIXELS: true,
});
const threadsSchema = intSetting(0, 256);

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
    throw new CliError(`--threads must be a whole number from ${threadsSchema.min} to ${threadsSchema.max} (you gave ${JSON.stringify(value)}).`);
  }
  return parsed.data;
}

/** Why a file could not be used, in words rather than an errno, with what to do about it. */
function fileProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file; check the path';
    case 'EISDIR':
      return 'it is a directory, not a picture file';
    case 'ENOTDIR':
      return 'a part of the path is not a directory; check the path';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied; choose a file or folder your user may use, or change its permissions';
    case 'EROFS':
      return 'the file system is read-only; choose a folder on a writable disk';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full; free some space or choose another disk';
    case 'EIO':
    case 'EINVAL':
      return 'the system refused to store a file there (it is not an ordinary file on a disk); choose a path in a normal folder';
    case 'ENAMETOOLONG':
      return 'the name is too long; choose a shorter path';
    case 'ELOOP':
      return 'the path loops through symbolic links; check it';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many files are open; close some programs and try again';
    default:
      // Never a raw errno line: say what failed in words, with the code for a search.
      return `the system refused it (${code ?? (e as Error)?.message ?? String(e)}); check the path and try again`;
  }
}

/** File systems whose files are the kernel's, not files on a disk (`-o /proc/version` writes fail with EIO). */
const KERNEL_FILE_SYSTEMS = new Set([0x9fa0 /* proc */, 0x62656572 /* sysfs */, 0x1cd1 /* devpts */, 0x64626720 /* debugfs */, 0x27e0eb /* cgroup */, 0x63677270 /* cgroup2 */]);

/** The output formats, by file extension. */
const FORMAT_OF_EXTENSION: Record<string, OutputFormat> = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' };
const EXTENSION_OF_FORMAT: Record<OutputFormat, string> = { png: 'png', jpeg: 'jpg', webp: 'webp' };

/**
 * The file type the result is written in: `--format` when given, else the extension of `-o`
 * (PNG when it has none the CLI knows). A `--format` the extension contradicts is refused.
 */
export function outputFormat(output: string | undefined, flag: OutputFormat | undefined): OutputFormat {
  const ext = output === undefined ? undefined : path.extname(output).toLowerCase();
  const byName = ext === undefined ? undefined : FORMAT_OF_EXTENSION[ext];
  if (flag !== undefined && byName !== undefined && flag !== byName) {
    throw new CliError(
      `--format ${flag} and -o ${output} disagree: the file name says ${byName}; name the file ….${EXTENSION_OF_FORMAT[flag]}, or leave out --format.`,
    );
  }
  return flag ?? byName ?? 'png';
}

async function readInput(file: string, what: string, limits: ImageLimits): Promise<Uint8Array> {
  try {
    // Checked before reading, so a huge file (or a device) is refused without being read.
    const info = await stat(file);
    if (info.isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    if (!info.isFile()) throw new CliError(`cannot read the ${what} ${file}: it is not a regular file.`);
    if (info.isFile() && info.size > limits.maxBytes) {
      throw new CliError(`the ${what} ${file} is ${formatBytes(info.size)}; the limit is ${formatBytes(limits.maxBytes)} (MAX_INPUT_BYTES).`);
    }
    return new Uint8Array(await readFile(file));
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot read the ${what} ${file}: ${fileProblem(e)}`);
  }
}

/** Refuses an output path that cannot be written before any work is done. */
async function checkOutput(file: string): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  const problem = await (async () => {
    const existing = await stat(file).catch(() => undefined);
    if (existing?.isDirectory()) return 'it is a directory; give a file name, e.g. -o out.png';
    if (existing && !existing.isFile()) return 'it is not an ordinary file (a device or a pipe); give a file name in a normal folder, e.g. -o out.png';
    const parent = await stat(dir).catch(() => undefined);
    if (!parent) return `the directory ${dir} does not exist`;
    if (!parent.isDirectory()) return `${dir} is not a directory`;
    const fs = await statfs(dir).catch(() => undefined);
    if (fs && KERNEL_FILE_SYSTEMS.has(fs.type)) return `${dir} holds the kernel's files, not ordinary ones; choose a path in a normal folder, e.g. -o out.png`;
    await access(existing ? file : dir, constants.W_OK);
    return undefined;
  })().catch(fileProblem);
  if (problem) throw new CliError(`cannot write the result to ${file}: ${problem}.`);
}

/**
 * Writes the result; if that fails after all (disk full, the directory removed meanwhile), the
 * picture is saved in the working directory instead, so minutes of work are not lost.
 */
async function writeResult(file: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFile(file, bytes);
    return;
  } catch (e) {
    const fallback = path.resolve(`stylized-${Date.now()}${path.extname(file) || '.png'}`);
    try {
      await writeFile(fallback, bytes, { flag: 'wx' });
    } catch {
      throw new CliError(`could not write the result to ${file} (${fileProblem(e)}), nor to ${fallback}; the picture is lost.`);
    }
    throw new CliError(`could not write the result to ${file} (${fileProblem(e)}); saved it as ${fallback} instead.`);
  }
}

function describe(e: ProgressEvent): string {
  const eta = e.etaMs === undefined ? '' : ` eta ${Math.ceil(e.etaMs / 1000)}s`;
  return `scale ${e.scale}/${e.scales} ${e.width}x${e.height} step ${e.step}/${e.totalSteps} loss ${e.losses.total.toExponential(3)} (content ${e.losses.content.toExponential(2)}, style ${e.losses.style.toExponential(2)})${eta}`;
}

export async function main(argv: string[]): Promise<void> {
  const env = parseEnv(cliEnv, readProcessEnv());
  const limits: ImageLimits = { maxBytes: env.MAX_INPUT_BYTES, maxPixels: env.MAX_INPUT_PIXELS };
  const defs = optionsFor('cli');
  const program = new Command('stylize')
    .description('Paint <content> in the style of <style> (Gatys et al., VGG19).')
    .option('-o, --output <file>', 'where to write the result (default: <content>-stylized.<format>)')
    .option('--weights <path>', 'VGG19 weights: model.json, directory, URL or .h5', env.VGG19_WEIGHTS ?? env.WEIGHTS_CACHE_DIR)
    .addOption(new Option('--backend <name>', 'compute runtime; auto picks the fastest one that starts (STYLIZE_BACKEND)').choices(BACKEND_CHOICES).default(env.STYLIZE_BACKEND))
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
    if (file !== undefined) pictures.push(await readInput(file, img.label, limits));
  }
  const [content, ...styleBytes] = pictures as [Uint8Array, ...Uint8Array[]];
  const styles: StyleImage[] = styleBytes.map((bytes) => ({ bytes }));
  const format = outputFormat(flags.output, parsed.engine.format);
  const output = flags.output ?? `${path.basename(contentPath, path.extname(contentPath))}-stylized.${EXTENSION_OF_FORMAT[format]}`;
  await checkOutput(output);
  // Everything the engine would refuse is refused now, before seconds and a gigabyte of weights.
  const request = { content, styles, options: { ...parsed.engine, format } };
  await checkRequest(request, { maxSize: env.MAX_IMAGE_SIZE, limits });

  const fastModels = env.FAST_STYLE_MODELS ?? fastModelsDirIn(env.WEIGHTS_CACHE_DIR);
  const engine = await createEngine({ weights: flags.weights, backend: flags.backend, threads: flags.threads, maxSize: env.MAX_IMAGE_SIZE, limits, fastModels });
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
      request,
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
    await writeResult(output, result.image);
    const f = result.stats.finalLosses;
    // A fast picture has no painting steps, so no losses.
    const scored = Number.isFinite(f.total);
    process.stderr.write(
      !scored ? `wrote ${output} (${result.width}x${result.height}) in ${(result.stats.ms / 1000).toFixed(1)} s\n` : `wrote ${output} (${result.width}x${result.height}) in ${(result.stats.ms / 1000).toFixed(1)} s; loss ${f.total.toExponential(3)} (content ${f.content.toExponential(2)}, style ${f.style.toExponential(2)}, tv ${f.tv.toExponential(2)})\n`,
    );
  } finally {
    if (barStarted) bar.stop();
    engine.dispose();
  }
}

if (isEntry(import.meta.url)) {
  main(process.argv).then(
    // Wasm worker threads (and a session process that has not yet left) would keep it alive; the job is done.
    () => process.exit(0),
    (e: unknown) => {
      if (e instanceof ConfigError) {
        // Reads exactly as under `npm start`.
        process.stderr.write(`${e.message}\n`);
      } else {
        const message =
          e instanceof OptionError || e instanceof CliError || isStylizeError(e) ? withWeightsFix(e) : `unexpected failure: ${(e as Error)?.message ?? String(e)}`;
        process.stderr.write(`error: ${message}\n`);
      }
      process.exit(1);
    },
  );
}
