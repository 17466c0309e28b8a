/** Who may add a job right now, and the sentence for those who may not. */
import { QueueRejection, type JobOwner } from './types.js';

export interface Limits {
  maxLength: number;
  maxPerUser: number;
  maxPerServer: number;
}

/** Ids are only unique within a platform: a Discord user and a Slack user may share one. */
export const userKey = (owner: JobOwner): string => `${owner.platform}:${owner.userId}`;
export const serverKey = (owner: JobOwner): string | undefined =>
  owner.serverId === undefined ? undefined : `${owner.platform}:${owner.serverId}`;

const pictures = (n: number): string => (n === 1 ? 'a picture' : `${n} pictures`);

/**
 * The most specific reason comes first: a user who already has a job hears that, not that the
 * server or the queue is busy, because it is the one thing they can act on.
 */
export function checkAdmission(
  owner: JobOwner,
  active: readonly { owner: JobOwner }[],
  limits: Limits,
  shuttingDown: boolean,
): QueueRejection | undefined {
  if (shuttingDown) {
    return new QueueRejection('shutting-down', 'The bot is restarting and is not taking new pictures right now; please try again in a minute.');
  }
  const user = userKey(owner);
  const server = serverKey(owner);
  let ofUser = 0;
  let ofServer = 0;
  for (const job of active) {
    if (userKey(job.owner) === user) ofUser += 1;
    if (server !== undefined && serverKey(job.owner) === server) ofServer += 1;
  }
  if (ofUser >= limits.maxPerUser) {
    return new QueueRejection(
      'user-limit',
      limits.maxPerUser === 1
        ? 'You already have a picture in the queue; wait for it to finish (or cancel it) before starting another.'
        : `You already have ${limits.maxPerUser} pictures in the queue, the most one person can have; wait for one to finish (or cancel it).`,
    );
  }
  if (ofServer >= limits.maxPerServer) {
    return new QueueRejection(
      'server-limit',
      `This server already has ${pictures(limits.maxPerServer)} in the queue, the most one server can have; please try again when one finishes.`,
    );
  }
  if (active.length >= limits.maxLength) {
    return new QueueRejection(
      'queue-full',
      `The queue is full (${limits.maxLength} pictures waiting or in progress); please try again in a few minutes.`,
    );
  }
  return undefined;
}
