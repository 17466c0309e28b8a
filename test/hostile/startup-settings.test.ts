/**
 * Issue 24, items 3 and 5: settings the process cannot use end start-up in seconds with one line
 * naming the setting. The real process (`npm start`), from an empty directory.
 */
import http from 'node:http';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeSlack } from '../emulator/slack/fake-slack.js';
import { WEIGHTS } from '../support/fixtures.js';
import { baseEnv, startBot } from './support/bot-process.js';

/** Enough for `npm start` to get past the platform check; nothing connects before the weights. */
const DISCORD = { DISCORD_TOKEN: 'placeholder-token', DISCORD_APPLICATION_ID: '100000000000000001', HTTP_PORT: '0' };

/** Starts the bot and expects it to end within `withinMs` with exactly one line on stderr. */
async function oneLineFailure(env: Record<string, string>, opts: { uid?: number; gid?: number } = {}, withinMs = 30_000): Promise<string> {
  // Start-up is under test, not the engine: the fake engine thread (runBot as `npm start` runs it).
  const bot = startBot({ ...baseEnv(), ...env }, { ...opts, engine: 'fake' });
  const timer = setTimeout(() => bot.child.kill('SIGKILL'), withinMs);
  const code = await bot.exited;
  clearTimeout(timer);
  expect(code, `the bot did not end within ${withinMs} ms; stdout: ${bot.stdout().slice(-500)}`).toBe(1);
  const lines = bot.stderr().trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).not.toMatch(/\bat \S+:\d+|node_modules/);
  return lines[0]!;
}

let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'stylize-settings-'));
});
afterAll(() => {
  chmodSync(tmp, 0o700);
  rmSync(tmp, { recursive: true, force: true });
});

describe('WEIGHTS_CACHE_DIR that cannot be used', () => {
  it('a directory the file system will not make (/proc) ends start-up in one line, not a spin', async () => {
    const line = await oneLineFailure({ ...DISCORD, WEIGHTS_CACHE_DIR: '/proc/stylize-cache' });
    expect(line).toMatch(/^Configuration error: WEIGHTS_CACHE_DIR="\/proc\/stylize-cache" cannot be used \(.*\/proc\/stylize-cache\); fix: point WEIGHTS_CACHE_DIR at a directory/);
  });

  it('a path through a file', async () => {
    const file = path.join(tmp, 'a-file');
    writeFileSync(file, 'x');
    const line = await oneLineFailure({ ...DISCORD, WEIGHTS_CACHE_DIR: path.join(file, 'cache') });
    expect(line).toMatch(/^Configuration error: WEIGHTS_CACHE_DIR=".*a-file\/cache" cannot be used \(.*a-file is not a directory\)/);
  });

  it('a directory this process may not read or write', async () => {
    const locked = path.join(tmp, 'locked');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(locked);
    chmodSync(locked, 0o000);
    chmodSync(tmp, 0o755);
    // Root may read anything: then the bot runs as nobody, as the hostile run did.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const line = await oneLineFailure({ ...DISCORD, WEIGHTS_CACHE_DIR: locked }, asNobody);
    expect(line).toMatch(/^Configuration error: WEIGHTS_CACHE_DIR=".*locked" cannot be used \(permission denied at .*locked\)/);
  });
});

describe('a port already in use', () => {
  let taken: http.Server;
  let port = 0;
  beforeAll(async () => {
    taken = http.createServer((_req, res) => res.end());
    await new Promise<void>((r) => taken.listen(0, r));
    port = (taken.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => taken.close(r));
  });

  it('HTTP_PORT is named in one line', async () => {
    const line = await oneLineFailure({ ...DISCORD, VGG19_WEIGHTS: WEIGHTS, HTTP_PORT: String(port) }, {}, 60_000);
    expect(line).toBe(`Configuration error: HTTP_PORT=${port} is already in use by another program; fix: stop that program or set HTTP_PORT to a free port.`);
  });

  it('SLACK_PORT is named in one line', async () => {
    const fake = await FakeSlack.start();
    try {
      const line = await oneLineFailure(
        { VGG19_WEIGHTS: WEIGHTS, HTTP_PORT: '0', SLACK_BOT_TOKEN: fake.botToken, SLACK_SIGNING_SECRET: 'ports-secret', SLACK_API_URL: fake.apiUrl, SLACK_PORT: String(port) },
        {},
        60_000,
      );
      expect(line).toBe(`Configuration error: SLACK_PORT=${port} is already in use by another program; fix: stop that program or set SLACK_PORT to a free port.`);
    } finally {
      await fake.close();
    }
  });
});
