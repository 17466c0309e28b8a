/** Who may add a job right now, and why not. */
import { refusal, type Refusal } from './failures.js';
import type { JobOwner } from './types.js';

export interface Limits {
  maxLength: number;
  maxPerUser: number;
  maxPerServer: number;
}

/** Ids are only unique within a platform: a Discord user and a Slack user may share one. */
export const userKey = (owner: JobOwner): string => `${owner.platform}:${owner.userId}`;
export const serverKey = (owner: JobOwner): string | undefined =>
  owner.serverId === undefined ? undefined : `${owner.platform}:${owner.serverId}`;

/**
 * The most specific reason comes first: a user who already has a job hears that, not that the
 * server or the queue is busy, because it is the one thing they can act on.
 */
export function checkAdmission(
  owner: JobOwner,
  active: readonly { owner: JobOwner }[],
  limits: Limits,
  shuttingDown: boolean,
): Refusal | undefined {
  if (shuttingDown) return refusal('shutting-down', limits);
  const user = userKey(owner);
  const server = serverKey(owner);
  let ofUser = 0;
  let ofServer = 0;
  for (const job of active) {
    if (userKey(job.owner) === user) ofUser += 1;
    if (server !== undefined && serverKey(job.owner) === server) ofServer += 1;
  }
  if (ofUser >= limits.maxPerUser) return refusal('user-limit', limits);
  if (ofServer >= limits.maxPerServer) return refusal('server-limit', limits);
  if (active.length >= limits.maxLength) return refusal('queue-full', limits);
  return undefined;
}
