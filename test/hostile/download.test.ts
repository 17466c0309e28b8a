/**
 * Issue 12, points 2 and 8 (links): attachment downloads are bounded by a deadline that survives a
 * garbage collection, and odd links get a sentence that says what is wrong with them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { downloadImage, InputError } from '../../src/commands/attachments.js';
import { image } from '../support/fixtures.js';

/** What `node --expose-gc` gives, obtained inside the running test process. */
function forcedGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

interface Server {
  host: string;
  closedAfterMs: Promise<number>;
  close(): Promise<void>;
}

async function serve(handler: http.RequestListener): Promise<Server> {
  const started = performance.now();
  let closed!: (ms: number) => void;
  const closedAfterMs = new Promise<number>((r) => (closed = r));
  const server = http.createServer((req, res) => {
    res.on('close', () => closed(performance.now() - started));
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    closedAfterMs,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function refusalOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof InputError) return e.message;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('a server that trickles one byte every 500 ms', () => {
  it('is cut off at the timeout even after a forced garbage collection, and the next download works', async () => {
    const gc = forcedGc();
    const trickle = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.write(PNG_HEAD);
      const t = setInterval(() => res.write(Buffer.from([0])), 500);
      res.on('close', () => clearInterval(t));
    });
    servers.push(trickle);
    const started = performance.now();
    const gcTimer = setTimeout(gc, 1000);
    const message = await refusalOf(
      downloadImage({ url: `http://${trickle.host}/a.png`, label: 'content image', name: 'a.png' }, { allowedHosts: [trickle.host], maxBytes: 1e6, timeoutMs: 3000 }),
    );
    clearTimeout(gcTimer);
    const took = performance.now() - started;
    expect(message).toBe('The content image (a.png) took longer than 3 s to download, so the download was stopped. Attach it again, or a smaller file.');
    expect(took).toBeGreaterThanOrEqual(2900);
    expect(took).toBeLessThan(4500);
    // The connection is closed, not left open with the server still writing into it.
    expect(await trickle.closedAfterMs).toBeLessThan(4500);

    const good = await serve((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(Buffer.from(image('udnie.jpg'))));
    servers.push(good);
    const next = await downloadImage({ url: `http://${good.host}/b.jpg`, label: 'style image' }, { allowedHosts: [good.host], maxBytes: 1e7, timeoutMs: 3000 });
    expect(next.type).toBe('jpeg');
  }, 15_000);

  it('that never sends headers is cut off at the timeout too', async () => {
    const gc = forcedGc();
    const silent = await serve(() => undefined);
    servers.push(silent);
    const gcTimer = setTimeout(gc, 500);
    const started = performance.now();
    const message = await refusalOf(
      downloadImage({ url: `http://${silent.host}/a.png`, label: 'style image' }, { allowedHosts: [silent.host], maxBytes: 1e6, timeoutMs: 2000 }),
    );
    clearTimeout(gcTimer);
    expect(message).toMatch(/^The style image took longer than 2 s to download/);
    expect(performance.now() - started).toBeLessThan(3500);
  }, 15_000);
});

describe('links that are not a plain download', () => {
  it('a redirect is called a redirect, not "the link did not answer"', async () => {
    const redirect = await serve((_req, res) => res.writeHead(302, { location: 'https://example.com/x.png' }).end());
    servers.push(redirect);
    const message = await refusalOf(downloadImage({ url: `http://${redirect.host}/a.png`, label: 'content image' }, { allowedHosts: [redirect.host], maxBytes: 1e6 }));
    expect(message).toMatch(/^The content image could not be downloaded: its link redirects somewhere else/);
  });

  it('a file:// address names its scheme instead of an empty host', async () => {
    const message = await refusalOf(downloadImage({ url: 'file:///etc/passwd', label: 'content image' }, { allowedHosts: ['cdn.discordapp.com'], maxBytes: 1e6 }));
    expect(message).toBe('The content image is a file:// address, not a web link this bot can download. Upload the picture as an attachment.');
  });

  it('plain http to an allowed host is refused, so a bearer token never travels in clear', async () => {
    let asked = false;
    const message = await refusalOf(
      downloadImage(
        { url: 'http://files.slack.com/files-pri/T1-F1/a.png', label: 'style image' },
        {
          allowedHosts: ['files.slack.com'],
          maxBytes: 1e6,
          headers: { Authorization: 'Bearer xoxb-not-sent' },
          fetch: (() => {
            asked = true;
            throw new Error('must not be called');
          }) as typeof fetch,
        },
      ),
    );
    expect(message).toMatch(/^The style image has a plain http:\/\/ link; this bot downloads only over https/);
    expect(asked).toBe(false);
  });
});
