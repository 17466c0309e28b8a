/**
 * Keeps a job's inputs for a while so Reroll (same pictures, new seed) and Parameters work after
 * the attachment links have expired. Memory is bounded twice: by age (REROLL_KEEP_MIN) and by a
 * count, oldest out first.
 */
import { randomBytes } from 'node:crypto';
import type { StylizeOptions, StylizeRequest } from '../engine/index.js';

/** A job as the user asked for it: its request goes to the queue as is, and Reroll repeats it. */
export interface RerollInputs {
  /** The photo, the paintings and the validated engine options (seed included), as the engine takes them. */
  request: StylizeRequest & { options: Partial<StylizeOptions> };
  /** Values by option name as the user gave them (plus the seed that was used). */
  given: Record<string, unknown>;
  /** Adapter-only options (e.g. `private`). */
  adapter: Record<string, unknown>;
  requesterId: string;
}

interface Entry {
  inputs: RerollInputs;
  expiresAt: number;
}

export interface RerollStoreOptions {
  keepMinutes: number;
  maxEntries?: number;
  now?: () => number;
}

export class RerollStore {
  private readonly entries = new Map<string, Entry>();
  private readonly keepMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout | undefined;

  constructor(opts: RerollStoreOptions) {
    this.keepMs = opts.keepMinutes * 60_000;
    this.maxEntries = opts.maxEntries ?? 200;
    this.now = opts.now ?? Date.now;
    if (this.keepMs > 0) {
      this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, this.keepMs));
      this.sweeper.unref();
    }
  }

  /** False when REROLL_KEEP_MIN is 0: adapters then show no Reroll button. */
  get enabled(): boolean {
    return this.keepMs > 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Stores the inputs and returns the key for buttons; undefined when rerolls are off. */
  put(inputs: RerollInputs): string | undefined {
    if (!this.enabled) return undefined;
    this.sweep();
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    // Short enough for Discord's 100-character custom ids, long enough not to be guessed.
    const key = randomBytes(9).toString('base64url');
    this.entries.set(key, { inputs, expiresAt: this.now() + this.keepMs });
    return key;
  }

  get(key: string): RerollInputs | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.inputs;
  }

  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.entries.clear();
  }
}
