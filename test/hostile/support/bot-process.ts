/**
 * `npm start` as an operator runs it: the real process (one node process, so its pid is the
 * bot's), from an empty directory with only the given environment. `engine: 'fake'` runs the same
 * start-up with the fake engine thread (test/support/fake-engine-bot.ts), for tests about start-up.
 */
import { type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnBot } from '../../support/bot-process.js';

export const baseEnv = (): Record<string, string> => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), LOG_LEVEL: 'info' });

export interface BotProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** The first JSON log line whose msg matches. */
  logLine(msg: RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Exit code once it has exited. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function startBot(env: Record<string, string>, opts: { uid?: number; gid?: number; engine?: 'real' | 'fake' } = {}): BotProcess {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'stylize-bot-'));
  // Another user (opts.uid) must be able to work in it.
  if (opts.uid !== undefined) chmodSync(cwd, 0o777);
  const { engine = 'real', ...ids } = opts;
  const child = spawnBot(engine, { cwd, env, ...ids });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    for (const w of [...waiters]) w();
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      rmSync(cwd, { recursive: true, force: true });
      for (const w of [...waiters]) w();
      resolve(code);
    }),
  );
  const logLine = (msg: RegExp, timeoutMs = 120_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const check = () => {
        for (const line of out.split('\n')) {
          if (!line.startsWith('{')) continue;
          const parsed = JSON.parse(line) as Record<string, unknown>;
          if (typeof parsed.msg === 'string' && msg.test(parsed.msg)) {
            done();
            resolve(parsed);
            return;
          }
        }
        if (child.exitCode !== null) {
          done();
          reject(new Error(`the bot exited (${child.exitCode}) before logging ${msg}: ${err}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no log line ${msg} within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    logLine,
    exited,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Resident memory of a process, in bytes. */
export async function rssOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}
