/**
 * The style library in Redis, for bots whose chat processes share REDIS_URL: every process sees
 * the same styles. A library is three hashes (summaries, thumbnails, images) keyed by the name;
 * `add` and `remove` are Lua scripts, so the checks and the writes are one step for Redis and a
 * chat process killed mid-save leaves the style whole or absent.
 */
import type { Redis } from 'ioredis';
import { byName, nameKey, type AddOutcome, type StoredStyle, type StyleStore, type StyleSummary } from './store.js';

const ADD = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 'duplicate' end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 'full' end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[5])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 'added'`;

const REMOVE = `
local n = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return n`;

type Summary = Omit<StyleSummary, 'thumbnail'>;

export class RedisStyleStore implements StyleStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'stylize',
  ) {}

  private keys(library: string): [string, string, string] {
    const base = `${this.prefix}:styles:${library}`;
    return [`${base}:summary`, `${base}:thumb`, `${base}:image`];
  }

  async add(library: string, style: StoredStyle, max: number): Promise<AddOutcome> {
    const { image, thumbnail, ...summary } = style;
    const outcome = await this.redis.eval(
      ADD,
      3,
      ...this.keys(library),
      nameKey(style.name),
      String(max),
      JSON.stringify(summary),
      Buffer.from(thumbnail),
      Buffer.from(image),
    );
    return outcome as AddOutcome;
  }

  async list(library: string): Promise<StyleSummary[]> {
    const [summaryKey, thumbKey] = this.keys(library);
    const [summaries, thumbs] = await Promise.all([this.redis.hgetall(summaryKey), this.redis.hgetallBuffer(thumbKey)]);
    return Object.entries(summaries)
      .map(([key, json]) => ({ ...(JSON.parse(json) as Summary), thumbnail: new Uint8Array(thumbs[key] ?? Buffer.alloc(0)) }))
      .sort(byName);
  }

  async get(library: string, name: string): Promise<StoredStyle | undefined> {
    const [summaryKey, thumbKey, imageKey] = this.keys(library);
    const key = nameKey(name);
    const [summary, thumb, image] = await Promise.all([this.redis.hget(summaryKey, key), this.redis.hgetBuffer(thumbKey, key), this.redis.hgetBuffer(imageKey, key)]);
    if (summary === null || thumb === null || image === null) return undefined;
    return { ...(JSON.parse(summary) as Summary), thumbnail: new Uint8Array(thumb), image: new Uint8Array(image) };
  }

  async remove(library: string, name: string): Promise<boolean> {
    return (await this.redis.eval(REMOVE, 3, ...this.keys(library), nameKey(name))) === 1;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
