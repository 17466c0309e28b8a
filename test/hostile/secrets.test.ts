/**
 * Issue 24, item 1: no operator secret reaches a channel. VGG19_WEIGHTS points at a loopback
 * server that refuses (404 for a signed URL, a URL with a password, 500 for an .h5 with a token);
 * the real bot (startApp, engine worker, discord.js) runs /stylize through the Discord emulator.
 * The user reads a sentence meant for users with the request id; the operator's log has the
 * detail with the credentials hidden. A REDIS_URL with a password is never printed either.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../../src/app.js';
import { register } from '../../src/cli/register.js';
import { ConfigError, loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startDiscordEmulator } from '../emulator/discord/emulator.js';
import { emulatorEnv } from '../discord/harness.js';
import { IMAGES_DIR } from '../support/fixtures.js';

let weightsServer: http.Server;
let base = '';
const asked: string[] = [];

beforeAll(async () => {
  weightsServer = http.createServer((req, res) => {
    asked.push(req.url ?? '');
    res.writeHead(req.url?.includes('.h5') ? 500 : 404, { 'content-type': 'text/plain' }).end('no\n');
  });
  await new Promise<void>((r) => weightsServer.listen(0, '127.0.0.1', r));
  base = `127.0.0.1:${(weightsServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  weightsServer.closeAllConnections();
  await new Promise((r) => weightsServer.close(r));
});

/** The bot with these weights, one /stylize, and what the channel and the log got. */
async function stylizeWith(weights: string) {
  const emu = await startDiscordEmulator({ imagesDir: IMAGES_DIR });
  const env = loadEnv({ ...emulatorEnv(emu), VGG19_WEIGHTS: weights, HTTP_PORT: '0', LOG_LEVEL: 'info' });
  const logs: string[] = [];
  const logger = createLogger({ level: 'info', secrets: [emu.token] }, { write: (line: string) => void logs.push(line) });
  const app = await startApp(env, logger);
  try {
    await register(env);
    await app.discord!.ready;
    await app.queue.ready().catch(() => undefined);
    const i = emu.runCommand({
      name: 'stylize',
      options: { content: await emu.uploadImage('chicago.jpg'), style: await emu.uploadImage('udnie.jpg'), size: 64, iterations: 10 },
    });
    const final = await emu.waitFor(
      'the final sentence',
      () => {
        const m = emu.original(i);
        return m && /\(request [0-9a-f]{10}\)$/.test(m.content) ? m : undefined;
      },
      20_000,
    ).catch((e: unknown) => {
      console.log(JSON.stringify(emu.original(i)), logs.join(''));
      throw e;
    });
    return { final: final.content, channel: JSON.stringify(emu.requests), log: logs.join('') };
  } finally {
    await app.stop();
    await emu.close();
  }
}

const USER_SENTENCE = /^The bot cannot paint right now; its operator has been told\. \(request [0-9a-f]{10}\)$/;

describe('weights the bot cannot load', () => {
  it('a signed URL answering 404: the channel reads a user sentence, the log the URL without its signature', async () => {
    const seen = await stylizeWith(`http://${base}/w/model.json?X-Amz-Signature=SUPERSECRET123&X-Amz-Expires=60`);
    expect(asked.some((u) => u.includes('SUPERSECRET123'))).toBe(true);
    expect(seen.final).toMatch(USER_SENTENCE);
    expect(seen.channel).not.toContain('SUPERSECRET123');
    expect(seen.channel).not.toMatch(/VGG19|model\.json|Download them/);
    expect(seen.log).not.toContain('SUPERSECRET123');
    expect(seen.log).toContain(`VGG19 weights not found at http://${base}/w/model.json?X-Amz-Signature=***&X-Amz-Expires=*** (HTTP 404)`);
  });

  it('a URL with a password: neither the channel nor the log shows it', async () => {
    const seen = await stylizeWith(`http://operator:hunter2pass@${base}/w/model.json`);
    expect(seen.final).toMatch(USER_SENTENCE);
    expect(seen.channel).not.toContain('hunter2pass');
    expect(seen.log).not.toContain('hunter2pass');
    expect(seen.log).not.toContain('operator:');
    expect(seen.log).toContain(`VGG19 weights could not be fetched from http://***@${base}/w/model.json`);
  });

  it('an .h5 with a token answering 500: the same, and the log keeps the status', async () => {
    const seen = await stylizeWith(`http://${base}/w/vgg19_notop.h5?token=TOKENSECRET456`);
    expect(seen.final).toMatch(USER_SENTENCE);
    expect(seen.channel).not.toContain('TOKENSECRET456');
    expect(seen.log).not.toContain('TOKENSECRET456');
    expect(seen.log).toContain(`The server at http://${base}/w/vgg19_notop.h5?token=*** answered HTTP 500`);
  });

  it('a local path that is missing: users do not read the path or the operator advice', async () => {
    const seen = await stylizeWith('/srv/private/operator-only/model.json');
    expect(seen.final).toMatch(USER_SENTENCE);
    expect(seen.channel).not.toContain('operator-only');
    expect(seen.log).toContain('VGG19 weights not found at /srv/private/operator-only/model.json');
  });
});

describe('a REDIS_URL with a password', () => {
  it('is refused in one line that shows the URL without the password', () => {
    let message = '';
    try {
      loadEnv({ REDIS_URL: 'http://default:hunter2secret@redis.internal:6379' });
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      message = (e as Error).message;
    }
    expect(message).toMatch(/^Configuration error: REDIS_URL="http:\/\/\*\*\*@redis\.internal:6379\/" is not valid .*fix: use redis:\/\//);
    expect(message).not.toContain('hunter2secret');
  });
});
