/**
 * Text values by key that disappear at a given time: where a job's inputs are kept for its buttons
 * (commands/reroll-store.ts) so that they outlive the process. A directory here (the in-process
 * queue's bot); Redis in queue/redis/expiring-store.ts (every chat process sees the same).
 */
import { mkdirSync } from 'node:fs';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface ExpiringStore {
  /** Keeps `value` under `key` until `expiresAt` (epoch ms); a second set replaces it. */
  set(key: string, value: string, expiresAt: number): Promise<void>;
  /** The value, or undefined once it expired or was never set. */
  get(key: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Keys are random base64url (reroll-store.ts): anything else, from a forged button, is refused before it reaches a path. */
const KEY = /^[A-Za-z0-9_-]{1,64}$/;

/** One file per key, written to a temporary name and renamed, so a crash never leaves half a value. */
export class DirectoryStore implements ExpiringStore {
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly dir: string,
    private readonly now: () => number = Date.now,
    sweepEveryMs = 10 * 60_000,
  ) {
    mkdirSync(dir, { recursive: true });
    // Values expire unread too (a button nobody presses): their files go at start and then now and then.
    void this.sweep();
    this.sweeper = setInterval(() => void this.sweep(), sweepEveryMs);
    this.sweeper.unref();
  }

  async set(key: string, value: string, expiresAt: number): Promise<void> {
    if (!KEY.test(key)) throw new Error('not a storable key');
    const file = join(this.dir, `${key}.json`);
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify({ expiresAt, value }));
    await rename(temporary, file);
  }

  async get(key: string): Promise<string | undefined> {
    if (!KEY.test(key)) return undefined;
    const file = join(this.dir, `${key}.json`);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    const kept = JSON.parse(text) as { expiresAt: number; value: string };
    if (kept.expiresAt > this.now()) return kept.value;
    await rm(file, { force: true });
    return undefined;
  }

  /** Removes expired values (and temporary files a crash left behind). */
  async sweep(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    for (const name of names) {
      if (name.endsWith('.tmp')) {
        if (!name.includes(`.${process.pid}.`)) await rm(join(this.dir, name), { force: true });
      } else if (name.endsWith('.json')) {
        await this.get(name.slice(0, -'.json'.length)).catch(() => undefined);
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }
}
