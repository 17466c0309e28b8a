/**
 * Keeps a job's inputs (and, once done, its picture) for a while so its buttons (Reroll, More/Less
 * style, HD, Parameters) work after the attachment links have expired. Memory is bounded twice: by
 * age (REROLL_KEEP_MIN) and by a count, oldest out first. With a durable store behind it (a
 * directory, or Redis) the buttons also work after a restart and from any chat process.
 */
import { randomBytes } from 'node:crypto';
import type { StylizeOptions, StylizeRequest, StylizeResult } from '../engine/index.js';
import { decodeRequest, encodeRequest, fromBase64, toBase64, type WireRequest } from '../queue/wire-request.js';
import type { ExpiringStore } from '../util/expiring-store.js';

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

/** What a finished job's buttons start from. */
export interface KeptJob extends RerollInputs {
  /** The job's request id, which the jobs made from it name. */
  requestId?: string;
  /** The finished picture as the engine made it (HD paints it again larger). */
  result?: Pick<StylizeResult, 'image' | 'width' | 'height'>;
}

interface Entry {
  job: KeptJob;
  expiresAt: number;
}

export interface RerollStoreOptions {
  keepMinutes: number;
  maxEntries?: number;
  now?: () => number;
  /** Where entries are also written, so that they outlive this process; memory only without it. */
  durable?: ExpiringStore;
  /** Told when the durable store fails (the entry is still kept in memory). */
  onError?: (err: unknown) => void;
}

export class RerollStore {
  private readonly entries = new Map<string, Entry>();
  private readonly keepMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private readonly sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly opts: RerollStoreOptions) {
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

  /** Entries held in memory. */
  get size(): number {
    return this.entries.size;
  }

  /** Stores the inputs and returns the key for buttons; undefined when rerolls are off. */
  async put(inputs: RerollInputs, about: { requestId?: string } = {}): Promise<string | undefined> {
    if (!this.enabled) return undefined;
    // Short enough for Discord's 100-character custom ids, long enough not to be guessed.
    const key = randomBytes(9).toString('base64url');
    // Only what the job was asked with: a picture kept for the job it came from is not this one's.
    const { request, given, adapter, requesterId } = inputs;
    const entry = { job: { request, given, adapter, requesterId, ...about }, expiresAt: this.now() + this.keepMs };
    this.remember(key, entry);
    await this.persist(key, entry);
    return key;
  }

  /** Adds the finished picture to an entry (for HD); the entry keeps its expiry. */
  async keepResult(key: string, result: NonNullable<KeptJob['result']>): Promise<void> {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.job = { ...entry.job, result };
    await this.persist(key, entry);
  }

  async get(key: string): Promise<KeptJob | undefined> {
    const entry = this.entries.get(key) ?? (await this.load(key));
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.job;
  }

  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.entries.clear();
    await this.opts.durable?.close();
  }

  private remember(key: string, entry: Entry): void {
    this.sweep();
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(key, entry);
  }

  private async persist(key: string, entry: Entry): Promise<void> {
    await this.opts.durable?.set(key, encodeEntry(entry), entry.expiresAt).catch((err: unknown) => this.opts.onError?.(err));
  }

  private async load(key: string): Promise<Entry | undefined> {
    const durable = this.opts.durable;
    if (!durable) return undefined;
    try {
      const text = await durable.get(key);
      if (text === undefined) return undefined;
      const entry = decodeEntry(text);
      this.remember(key, entry);
      return entry;
    } catch (err) {
      this.opts.onError?.(err);
      return undefined;
    }
  }
}

/** JSON with the request in its wire form, the picture in base64, and the expiry. */
function encodeEntry({ job, expiresAt }: Entry): string {
  const { request, result } = job;
  return JSON.stringify({
    ...job,
    expiresAt,
    request: encodeRequest(request),
    ...(result ? { result: { ...result, image: toBase64(result.image) } } : {}),
  });
}

interface WireJob extends Omit<KeptJob, 'request' | 'result'> {
  expiresAt: number;
  request: WireRequest<KeptJob['request']>;
  result?: { image: string; width: number; height: number };
}

function decodeEntry(text: string): Entry {
  const { request, result, expiresAt, ...rest } = JSON.parse(text) as WireJob;
  const job: KeptJob = {
    ...rest,
    request: decodeRequest(request),
    ...(result ? { result: { ...result, image: fromBase64(result.image) } } : {}),
  };
  return { job, expiresAt };
}
