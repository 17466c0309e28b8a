/**
 * Starts the bot process as `npm start` does, as node itself with tsx's loader (no `tsx` wrapper
 * in between), so the pid a test signals or kills is the bot's and no bot outlives its test.
 * `engine: 'fake'` runs test/support/fake-engine-bot.ts: the same runBot with the fake engine thread.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const LOADER = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
const ENTRIES = { real: path.join(ROOT, 'src', 'main.ts'), fake: path.join(ROOT, 'test', 'support', 'fake-engine-bot.ts') };

export function spawnBot(engine: 'real' | 'fake', options: SpawnOptions): ChildProcess {
  return spawn(process.execPath, ['--import', LOADER, ENTRIES[engine]], options);
}
