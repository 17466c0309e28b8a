/**
 * Issue 12, points 3 and 4: `npm start` with a refused token, or a token in the wrong variable,
 * says so in one line (never a stack trace, never the secret), on Discord and Slack alike. The
 * start-up is `npm start`'s (runBot) with the fake engine thread: the engine is not under test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDiscordEmulator } from '../emulator/discord/emulator.js';
import { FakeSlack } from '../emulator/slack/fake-slack.js';
import { spawnBot } from '../support/bot-process.js';
import { WEIGHTS } from '../support/fixtures.js';

const cleanEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), VGG19_WEIGHTS: WEIGHTS, HTTP_PORT: '0', LOG_LEVEL: 'info' };
/** Shaped like a real Discord bot token (id . timestamp . HMAC), but not one. */
const DISCORD_SHAPED = 'MTA5ODc2NTQzMjEwOTg3NjU0Mw.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** npm start from an empty directory (no developer .env), stopped once `until` matches stdout. */
function start(env: Record<string, string>, until?: RegExp): Promise<Run> {
  return new Promise((resolve, reject) => {
    void mkdtemp(path.join(os.tmpdir(), 'stylize-hostile-')).then((cwd) => {
      const child = spawnBot('fake', { cwd, env });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (until?.test(stdout)) child.kill('SIGTERM');
      });
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        void rm(cwd, { recursive: true, force: true });
        resolve({ code, stdout, stderr });
      });
    });
  });
}

function expectOneLine(run: Run, line: RegExp): void {
  expect(run.code).toBe(1);
  expect(run.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(line);
  expect(run.stderr).not.toMatch(/\bat \S+:\d+|node_modules/);
  // A failed start is not an engine failure: nothing about "your picture" in the log.
  expect(run.stdout).not.toMatch(/stopped unexpectedly|engine did not load/);
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('a token the platform refuses', () => {
  it('Slack over HTTP: one line naming SLACK_BOT_TOKEN; with the right token it serves', async () => {
    const fake = await FakeSlack.start();
    closers.push(() => fake.close());
    const env = { ...cleanEnv, SLACK_API_URL: fake.apiUrl, SLACK_SIGNING_SECRET: 'hostile-secret', SLACK_PORT: '0' };
    const bad = await start({ ...env, SLACK_BOT_TOKEN: 'xoxb-1111-2222-wrongtoken' });
    expectOneLine(bad, /^Configuration error: Slack refused SLACK_BOT_TOKEN \(invalid_auth\); fix: copy the Bot User OAuth Token/);
    expect(bad.stderr).not.toContain('wrongtoken');
    const good = await start({ ...env, SLACK_BOT_TOKEN: fake.botToken }, /Slack app listening/);
    expect(good.stdout).toMatch(/Slack app listening for events/);
  });

  it('Slack in Socket Mode: a bad bot token and a bad app token are each one line', async () => {
    const fake = await FakeSlack.start();
    closers.push(() => fake.close());
    const env = { ...cleanEnv, SLACK_API_URL: fake.apiUrl };
    expectOneLine(
      await start({ ...env, SLACK_BOT_TOKEN: 'xoxb-1111-2222-wrongtoken', SLACK_APP_TOKEN: fake.appToken }),
      /^Configuration error: Slack refused SLACK_BOT_TOKEN \(invalid_auth\)/,
    );
    expectOneLine(
      await start({ ...env, SLACK_BOT_TOKEN: fake.botToken, SLACK_APP_TOKEN: 'xapp-1-A0BAD-0000-wrong' }),
      /^Configuration error: Slack refused SLACK_APP_TOKEN \(invalid_auth\); fix: copy an app-level token/,
    );
    // The bot token where the app token belongs used to make Socket Mode retry for ever, silently.
    const swapped = await start({ ...env, SLACK_BOT_TOKEN: fake.botToken, SLACK_APP_TOKEN: fake.botToken });
    expectOneLine(swapped, /^Configuration error: SLACK_APP_TOKEN=\(hidden: it looks like a secret\) is not valid \(an app-level token, starting xapp-\)/);
    expect(swapped.stderr).not.toContain(fake.botToken);
  });

  it('Discord: the same shape of line, naming DISCORD_TOKEN', async () => {
    const emu = await startDiscordEmulator({});
    closers.push(() => emu.close());
    const run = await start({ ...cleanEnv, DISCORD_TOKEN: DISCORD_SHAPED, DISCORD_APPLICATION_ID: emu.applicationId, DISCORD_API_URL: emu.apiUrl });
    expectOneLine(run, /^Configuration error: Discord refused DISCORD_TOKEN \(invalid token\); fix: copy the bot token/);
    expect(run.stderr).not.toContain(DISCORD_SHAPED);
  });
});

describe('a token pasted into the wrong variable', () => {
  it('is never printed in the configuration error', async () => {
    const run = await start({ ...cleanEnv, DISCORD_TOKEN: 'placeholder-token', DISCORD_APPLICATION_ID: DISCORD_SHAPED });
    expectOneLine(run, /^Configuration error: DISCORD_APPLICATION_ID=\(hidden: it looks like a secret\) is not valid \(a numeric snowflake id\); fix: copy the Application ID/);
    expect(run.stderr).not.toContain('abcdefghijklmnop');
  });

  it('nor is a Slack token, nor the value of a secret set elsewhere', async () => {
    const slack = await start({ ...cleanEnv, SLACK_BOT_TOKEN: 'xoxb-1-2-x', SLACK_SIGNING_SECRET: 's', SLACK_PORT: 'xoxb-3333-4444-pastedhere' });
    expectOneLine(slack, /^Configuration error: SLACK_PORT=\(hidden: it looks like a secret\) is not valid/);
    expect(slack.stderr).not.toContain('pastedhere');
    const copied = await start({ ...cleanEnv, DISCORD_TOKEN: 'my-very-own-secret-value', HTTP_PORT: 'my-very-own-secret-value' });
    expectOneLine(copied, /^Configuration error: HTTP_PORT=\(hidden: it looks like a secret\) is not valid/);
    expect(copied.stderr).not.toContain('my-very-own');
  });
});
