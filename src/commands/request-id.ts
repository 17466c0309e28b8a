import { randomBytes } from 'node:crypto';

/**
 * A short id for one user request, shown in failure messages and carried by every log line about
 * it, so a user can quote it and an operator can find the job. Ten hex digits: short enough to
 * read out, and collisions among one bot's requests are negligible.
 */
export function newRequestId(): string {
  return randomBytes(5).toString('hex');
}
