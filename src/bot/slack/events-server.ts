/**
 * The HTTP server in front of Bolt's `/slack/events` listener. Bolt reads a whole body before it
 * checks the signature, with no limit; here a request must look signed (headers of the right
 * shape, a fresh timestamp) before its body is read at all, and the body is read only up to a
 * limit. Bolt then checks the signature itself on the bytes read here.
 */
import http from 'node:http';
import type { HTTPReceiver } from '@slack/bolt';
import { listenOn } from '../listen.js';
import { readBody, refuse } from '../request-body.js';

/**
 * Slack's payloads are small: a view submission with every field of the form is a few KB, and
 * Slack caps a modal's text inputs at 3000 characters each. 1 MiB is far above any of them and
 * still nothing to hold for many requests at once.
 */
export const SLACK_BODY_LIMIT = 1024 * 1024;
/**
 * An unsigned request may still be Slack's `ssl_check=1&token=…` (Bolt answers it); it is a few
 * hundred bytes, so no more than this is read of any unsigned request.
 */
export const UNSIGNED_BODY_LIMIT = 1024;
/** Slack's rule, which Bolt applies too: a request older than five minutes may be a replay. */
const MAX_AGE_S = 5 * 60;
const PATH = '/slack/events';

function looksSigned(req: http.IncomingMessage): boolean {
  const signature = req.headers['x-slack-signature'];
  const timestamp = Number(req.headers['x-slack-request-timestamp']);
  return (
    typeof signature === 'string' &&
    /^v0=[0-9a-f]{64}$/.test(signature) &&
    Number.isInteger(timestamp) &&
    Math.abs(Date.now() / 1000 - timestamp) <= MAX_AGE_S
  );
}

/** Serves `receiver`'s listener on `port` (SLACK_PORT); resolves once listening. */
export async function startEventsServer(receiver: HTTPReceiver, port: number): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'POST' || pathname !== PATH) {
      refuse(res, 404, `Slack sends its requests to POST ${PATH}.`);
      return;
    }
    const signed = looksSigned(req);
    readBody(req, signed ? SLACK_BODY_LIMIT : UNSIGNED_BODY_LIMIT).then(
      (body) => {
        if (body === undefined) {
          refuse(res, signed ? 413 : 401, signed ? `A Slack request is at most ${SLACK_BODY_LIMIT} bytes.` : 'Unsigned request.');
          return;
        }
        // Bolt uses a body already read (its BufferedIncomingMessage) instead of reading one.
        Object.assign(req, { rawBody: body });
        receiver.requestListener(req, res);
      },
      () => res.destroy(),
    );
  });
  return { server, port: await listenOn(server, port, 'SLACK_PORT') };
}
