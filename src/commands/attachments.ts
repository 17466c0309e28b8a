/**
 * Fetching the pictures a user attached, for every chat platform. Attachment links are signed and
 * expire, so adapters call this as soon as the command arrives. Only allow-listed hosts are
 * contacted (the bot must not become a proxy into the network it runs in), reading stops as soon as
 * the byte limit is passed, and the type is judged from the bytes, never from the file name.
 */
import { describeNonImage, sniffImageType, type ImageType } from '../engine/index.js';
import {
  attachmentEmptyText,
  attachmentName,
  attachmentTooBigText,
  downloadFailedText,
  downloadIncompleteText,
  downloadRedirectedText,
  downloadTimedOutText,
  foreignHostText,
  noUsableLinkText,
  notAPictureText,
  notHttpsText,
  notALinkText,
} from './texts.js';

/** Input the user can fix; `message` is the sentence shown to them. Nothing was queued. */
export class InputError extends Error {
  override name = 'InputError';
}

export interface AttachmentRef {
  url: string;
  /** File name as uploaded, for the sentences. */
  name?: string;
  /** Size the platform declares, checked before downloading. */
  size?: number;
  /** How the sentences call it, e.g. 'content image'. */
  label: string;
}

export interface DownloadPolicy {
  /** `host` or `host:port`, lower case. */
  allowedHosts: readonly string[];
  maxBytes: number;
  /** Default 30 s. */
  timeoutMs?: number;
  /** Extra request headers (Slack's private file URLs need the bot token). */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

export interface DownloadedImage {
  bytes: Uint8Array;
  type: ImageType;
  name?: string;
}

function named(ref: AttachmentRef): string {
  return attachmentName(ref.label, ref.name);
}

/** Plain http only to this machine (tests, a local proxy): anywhere else a bearer token would travel in clear. */
function isLoopback(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function isAllowedHost(url: URL, allowedHosts: readonly string[]): boolean {
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) return false;
  const host = url.host.toLowerCase();
  const hostname = url.hostname.toLowerCase();
  // `host` carries the port only when it is not the protocol's default, so `cdn.x:443` is listed
  // as `cdn.x`; an entry with a port matches that port only.
  return allowedHosts.some((h) => h === host || (!h.includes(':') && h === hostname && url.port === ''));
}

function tooBig(ref: AttachmentRef, size: number | undefined, max: number): InputError {
  return new InputError(attachmentTooBigText(named(ref), size, max));
}

function empty(ref: AttachmentRef): InputError {
  return new InputError(attachmentEmptyText(named(ref)));
}

/** Downloads one attachment and checks that it is a picture within the limits; throws InputError. */
export async function downloadImage(ref: AttachmentRef, policy: DownloadPolicy): Promise<DownloadedImage> {
  let url: URL;
  try {
    url = new URL(ref.url);
  } catch {
    throw new InputError(noUsableLinkText(named(ref)));
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new InputError(notALinkText(named(ref), url.protocol));
  if (url.protocol === 'http:' && !isLoopback(url)) throw new InputError(notHttpsText(named(ref)));
  if (!isAllowedHost(url, policy.allowedHosts)) {
    throw new InputError(foreignHostText(named(ref), url.host));
  }
  if (ref.size !== undefined) {
    if (ref.size === 0) throw empty(ref);
    if (ref.size > policy.maxBytes) throw tooBig(ref, ref.size, policy.maxBytes);
  }

  const fetchImpl = policy.fetch ?? globalThis.fetch;
  const timeoutMs = policy.timeoutMs ?? 30_000;
  const controller = new AbortController();
  // The whole download (headers and body) races this deadline. fetch's own abort signal is not
  // enough: undici holds its request only weakly, so once a garbage collection has taken the
  // Response the abort reaches nothing and a server that trickles bytes keeps the read alive
  // forever. The timer is held by the event loop, so the deadline always comes.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new InputError(downloadTimedOutText(named(ref), timeoutMs)));
    }, timeoutMs);
  });
  deadline.catch(() => undefined);
  try {
    let res: Response;
    try {
      // A redirect could lead off the allow-list, so none is followed.
      res = await Promise.race([fetchImpl(url, { redirect: 'error', signal: controller.signal, headers: policy.headers }), deadline]);
    } catch (e) {
      if (e instanceof InputError) throw e;
      if (isRedirectRefusal(e)) throw new InputError(downloadRedirectedText(named(ref)));
      throw new InputError(downloadFailedText(named(ref)));
    }
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel().catch(() => undefined);
      throw new InputError(downloadRedirectedText(named(ref)));
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel().catch(() => undefined);
      throw new InputError(downloadFailedText(named(ref), res.status));
    }
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > policy.maxBytes) {
      await res.body.cancel().catch(() => undefined);
      throw tooBig(ref, declared, policy.maxBytes);
    }
    const bytes = await readAtMost(res.body, policy.maxBytes, () => tooBig(ref, undefined, policy.maxBytes), ref, deadline);
    if (bytes.length === 0) throw empty(ref);
    const type = sniffImageType(bytes);
    if (!type) throw new InputError(notAPictureText(named(ref), describeNonImage(bytes)));
    return { bytes, type, name: ref.name };
  } finally {
    clearTimeout(timer);
  }
}

/** undici reports `redirect: 'error'` as a TypeError whose cause says "unexpected redirect". */
function isRedirectRefusal(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x instanceof Error && depth < 4; x = x.cause, depth++) {
    if (/redirect/i.test(x.message)) return true;
  }
  return false;
}

async function readAtMost(
  body: ReadableStream<Uint8Array>,
  max: number,
  overflow: () => InputError,
  ref: AttachmentRef,
  deadline: Promise<never>,
): Promise<Uint8Array> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      let step: Awaited<ReturnType<typeof reader.read>>;
      try {
        step = await Promise.race([reader.read(), deadline]);
      } catch (e) {
        // Cancelling closes the connection, so a trickling server is not left holding a socket.
        await reader.cancel().catch(() => undefined);
        if (e instanceof InputError) throw e;
        throw new InputError(downloadIncompleteText(named(ref)));
      }
      if (step.done) break;
      total += step.value.length;
      if (total > max) {
        await reader.cancel().catch(() => undefined);
        throw overflow();
      }
      chunks.push(step.value);
    }
  } finally {
    reader.releaseLock();
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
