/**
 * Limits held exactly across chat processes: the count and the admission happen in one Lua
 * script, so two processes cannot both take the last place. Release is idempotent (whoever sees a
 * job end first frees its place; the others find nothing to free).
 */
import type { Redis } from 'ioredis';
import { refusal, type Refusal } from '../failures.js';
import { serverKey, userKey, type Limits } from '../limits.js';
import type { JobOwner } from '../types.js';
import type { AdmissionRecord } from './codec.js';
import type { RedisKeys } from './keys.js';

// KEYS: active, userCounts, serverCounts, owned. ARGV: jobId, record, user, server ('' = none),
// maxPerUser, maxPerServer, maxLength.
const ADMIT = `
local total = redis.call('HLEN', KEYS[1])
local ofUser = tonumber(redis.call('HGET', KEYS[2], ARGV[3]) or '0')
local ofServer = 0
if ARGV[4] ~= '' then ofServer = tonumber(redis.call('HGET', KEYS[3], ARGV[4]) or '0') end
if ofUser >= tonumber(ARGV[5]) or ofServer >= tonumber(ARGV[6]) or total >= tonumber(ARGV[7]) then
  return {0, ofUser, ofServer, total}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
if ARGV[4] ~= '' then redis.call('HINCRBY', KEYS[3], ARGV[4], 1) end
redis.call('SADD', KEYS[4], ARGV[1])
return {1, ofUser, ofServer, total}
`;

// KEYS: active, userCounts, serverCounts. ARGV: jobId. Returns 1 if it freed a place.
const RELEASE = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local record = cjson.decode(raw)
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HINCRBY', KEYS[2], record.u, -1) <= 0 then redis.call('HDEL', KEYS[2], record.u) end
if record.s then
  if redis.call('HINCRBY', KEYS[3], record.s, -1) <= 0 then redis.call('HDEL', KEYS[3], record.s) end
end
return 1
`;

export type Admission = { ok: true } | { ok: false; rejection: Refusal };

export class AdmissionControl {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    /** Only admitting needs them; a worker only releases. */
    private readonly limits?: Limits,
  ) {}

  async admit(
    jobId: string,
    owner: JobOwner,
    instanceId: string,
    requestId: string,
    work: number,
  ): Promise<Admission> {
    const limits = this.limits;
    if (!limits) throw new Error('AdmissionControl needs limits to admit');
    const u = userKey(owner);
    const s = serverKey(owner);
    const record: AdmissionRecord = {
      u,
      ...(s === undefined ? {} : { s }),
      owner,
      requestId,
      work,
      at: Date.now(),
    };
    const { active, userCounts, serverCounts } = this.keys;
    const reply = (await this.redis.eval(
      ADMIT,
      4,
      active,
      userCounts,
      serverCounts,
      this.keys.owned(instanceId),
      jobId,
      JSON.stringify(record),
      u,
      s ?? '',
      limits.maxPerUser,
      limits.maxPerServer,
      limits.maxLength,
    )) as [number, number, number, number];
    const [admitted, ofUser, ofServer] = reply;
    if (admitted === 1) return { ok: true };
    return { ok: false, rejection: rejectionFor(ofUser, ofServer, limits) };
  }

  async release(jobId: string): Promise<boolean> {
    const { active, userCounts, serverCounts } = this.keys;
    return (await this.redis.eval(RELEASE, 3, active, userCounts, serverCounts, jobId)) === 1;
  }
}

/** The in-process queue's sentence, most specific limit first, from the counts the script saw. */
function rejectionFor(ofUser: number, ofServer: number, limits: Limits): Refusal {
  if (ofUser >= limits.maxPerUser) return refusal('user-limit', limits);
  if (ofServer >= limits.maxPerServer) return refusal('server-limit', limits);
  return refusal('queue-full', limits);
}
