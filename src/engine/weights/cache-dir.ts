/**
 * The weights cache directory, made and checked before anything is downloaded into it, so that an
 * unusable one ends start-up at once with a sentence naming WEIGHTS_CACHE_DIR. Node's own
 * `mkdir(…, { recursive: true })` never returns on some file systems (under /proc it loops on
 * EEXIST), so directories are made one level at a time here.
 */
import { constants } from 'node:fs';
import { access, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StylizeError } from '../errors.js';

type FsError = Error & { code?: string; path?: string };

/** What went wrong, in words, naming the path the system refused. */
function why(e: FsError, fallback: string): string {
  const where = e.path ?? fallback;
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return `permission denied at ${where}`;
    case 'EROFS':
      return `${where} is on a read-only file system`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `${where} is not a directory`;
    case 'ENOENT':
      return `the file system does not allow a directory at ${where}`;
    case 'ENOSPC':
      return `no space is left on the device of ${where}`;
    default:
      return `${e.code ?? e.message} at ${where}`;
  }
}

export function cacheDirError(dir: string, e: FsError): StylizeError {
  return new StylizeError(
    'weights-cache-unusable',
    `Configuration error: WEIGHTS_CACHE_DIR=${JSON.stringify(dir)} cannot be used (${why(e, dir)}); fix: point WEIGHTS_CACHE_DIR at a directory this process can create, read and write, or set VGG19_WEIGHTS to weights you have.`,
    { cause: e },
  );
}

const notADirectory = (p: string): FsError => Object.assign(new Error('not a directory'), { code: 'ENOTDIR', path: p });

/** A path through a file (`file/cache`): the error names the file. */
async function fileOnTheWay(p: string): Promise<FsError> {
  for (let up = path.dirname(p); up !== path.dirname(up); up = path.dirname(up)) {
    const info = await stat(up).catch(() => undefined);
    if (info && !info.isDirectory()) return notADirectory(up);
  }
  return notADirectory(p);
}

async function statOrUndefined(p: string) {
  try {
    return await stat(p);
  } catch (e) {
    if ((e as FsError).code === 'ENOENT') return undefined;
    if ((e as FsError).code === 'ENOTDIR') throw await fileOnTheWay(p);
    throw e;
  }
}

/** Makes `dir` and any missing parent, one level at a time. */
export async function makeDirectory(dir: string): Promise<void> {
  const info = await statOrUndefined(dir);
  if (info) {
    if (!info.isDirectory()) throw notADirectory(dir);
    return;
  }
  const parent = path.dirname(dir);
  if (parent !== dir) await makeDirectory(parent);
  try {
    await mkdir(dir);
  } catch (e) {
    if ((e as FsError).code === 'EEXIST' && (await statOrUndefined(dir))?.isDirectory()) return;
    throw e;
  }
}

/**
 * Throws (StylizeError 'weights-cache-unusable') when `dir` exists but this process cannot read
 * it; a missing one is fine here (it is made before a download).
 */
export async function checkCacheReadable(dir: string): Promise<void> {
  const abs = path.resolve(dir);
  try {
    const info = await statOrUndefined(abs);
    if (!info) return;
    if (!info.isDirectory()) throw notADirectory(abs);
    await access(abs, constants.R_OK | constants.X_OK);
  } catch (e) {
    throw cacheDirError(dir, e as FsError);
  }
}

/** Makes `dir` when missing and checks that a file can be written in it, or throws as above. */
export async function prepareCacheDir(dir: string): Promise<void> {
  const abs = path.resolve(dir);
  const probe = path.join(abs, `.write-check-${process.pid}`);
  try {
    await makeDirectory(abs);
    await access(abs, constants.R_OK | constants.W_OK | constants.X_OK);
    await writeFile(probe, '');
  } catch (e) {
    throw cacheDirError(dir, e as FsError);
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}
