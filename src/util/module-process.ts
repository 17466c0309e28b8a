/**
 * Starts a Node child process on a module, with an IPC channel that carries structured clones
 * (typed arrays included). Dev and tests run the TypeScript sources, so a `.ts` entry starts with
 * tsx's loader; the parent's own flags (a debugger, the test runner's) are not passed on.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

export function forkModule(entry: URL, args: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const execArgv = entry.pathname.endsWith('.ts') ? ['--import', tsxLoaderUrl()] : [];
  return fork(fileURLToPath(entry), [...args], { execArgv, env, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** tsx's loader, found from this file, not the cwd. */
function tsxLoaderUrl(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}
