/**
 * Every sentence a user reads about a job, the same on every chat platform. Adapters add only
 * formatting (buttons, embeds, blocks).
 */
import type { JobFailure, JobProgress, QueueSnapshot } from '../queue/types.js';

/** "~40 s", "~3 min", "~1 h 5 min". */
export function formatDuration(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** A text bar that reads the same in any font: `▰▰▰▰▱▱▱▱▱▱ 40%`. */
export function progressBar(fraction: number, width = 16): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(f * width);
  return `${'▰'.repeat(filled)}${'▱'.repeat(width - filled)} ${Math.floor(f * 100)}%`;
}

export function progressFraction(p: Pick<JobProgress, 'step' | 'totalSteps'>): number {
  return p.totalSteps > 0 ? p.step / p.totalSteps : 0;
}

export function queuedText(position: number, etaMs?: number): string {
  const eta = etaMs !== undefined && etaMs > 0 ? ` Ready in about ${formatDuration(etaMs)}.` : '';
  if (position <= 1) return `Queued: you are next.${eta}`;
  return `Queued: you are #${position} in line.${eta}`;
}

export function startedText(etaMs?: number): string {
  return etaMs !== undefined && etaMs > 0 ? `Started. Ready in about ${formatDuration(etaMs)}.` : 'Started.';
}

/** Two lines: the bar, then scale, size and time left. */
export function progressText(p: JobProgress): string {
  const eta = p.etaMs !== undefined ? ` · about ${formatDuration(p.etaMs)} left` : '';
  return `${progressBar(progressFraction(p))}\nScale ${p.scale}/${p.scales} (${p.width}×${p.height})${eta}`;
}

export function doneText(seconds: number, backend: string): string {
  return `Done in ${formatDuration(seconds * 1000)} (${backend}).`;
}

export function failedText(failure: JobFailure, requestId: string): string {
  return `${failure.message} (request ${requestId})`;
}

export function cancelledText(by: string, requesterId: string): string {
  return by === requesterId ? 'Cancelled. Nothing was kept running.' : 'Cancelled by a moderator.';
}

/** Said when something broke that the user cannot fix; the request id lets an operator find the log. */
export function internalErrorText(requestId: string): string {
  return `Something went wrong on the bot's side (request ${requestId}). Please try again in a minute; if it keeps happening, tell the bot's operator this request id.`;
}

/** Said when the job ended but its last message (usually the picture) was refused by the platform. */
export function notPostedText(requestId: string, hadPicture: boolean): string {
  return hadPicture
    ? `The picture was made, but it could not be posted here (request ${requestId}). Try /stylize again with a smaller size; if it keeps happening, tell the bot's operator this request id.`
    : `This job's last message could not be posted in full (request ${requestId}).`;
}

export function rerollExpiredText(keepMin: number): string {
  return keepMin > 0
    ? `The pictures for this job are no longer kept (they are kept for ${keepMin} minutes). Run /stylize again with the same attachments.`
    : 'This bot does not keep pictures for rerolls. Run /stylize again with the same attachments.';
}

/** `/queue` for one user. */
export function queueStatusText(snapshot: QueueSnapshot, userId: string): string {
  const mine = snapshot.jobs.filter((j) => j.owner.userId === userId);
  const total =
    snapshot.length === 0
      ? 'The queue is empty.'
      : `${snapshot.length} job${snapshot.length === 1 ? '' : 's'} in the queue (${snapshot.running} running, ${snapshot.waiting} waiting).`;
  if (mine.length === 0) {
    const eta = snapshot.etaForNewJobMs > 0 ? ` A new job would be ready in about ${formatDuration(snapshot.etaForNewJobMs)}.` : '';
    return `${total} You have no job in it.${eta}`;
  }
  const lines = mine.map((j) =>
    j.state === 'running'
      ? `Your job is running; ready in about ${formatDuration(j.etaMs)}.`
      : `Your job is #${j.position} in line; ready in about ${formatDuration(j.etaMs)}.`,
  );
  return [total, ...lines].join('\n');
}

export function noJobToCancelText(): string {
  return 'You have no job waiting or running.';
}

/** Said to whoever cancelled (Cancel button or /cancel); the job message then says "Cancelled". */
export function cancelDoneText(was: 'queued' | 'running'): string {
  return was === 'running' ? 'Stopping your picture.' : 'Taken out of the queue.';
}

// ---- Attachment downloads (commands/attachments.ts); `what` is e.g. "The style image (a.png)". ----

export function downloadTimedOutText(what: string, timeoutMs: number): string {
  return `${what} took longer than ${formatDuration(timeoutMs)} to download, so the download was stopped. Attach it again, or a smaller file.`;
}

export function downloadRedirectedText(what: string): string {
  return `${what} could not be downloaded: its link redirects somewhere else, and this bot only downloads files uploaded to the chat itself. Upload the picture as an attachment.`;
}

export function notHttpsText(what: string): string {
  return `${what} has a plain http:// link; this bot downloads only over https, so nothing private travels in clear. Upload the picture as an attachment.`;
}

export function notALinkText(what: string, protocol: string): string {
  return `${what} is a ${protocol}// address, not a web link this bot can download. Upload the picture as an attachment.`;
}
