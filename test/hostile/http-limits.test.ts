/**
 * Issue 24, item 2: the bot's HTTP endpoints bound what they read. The real bot process (Slack over
 * HTTP against the fake Slack, health and metrics on), attacked with 200 MB bodies streamed over a
 * raw socket: each is answered, and the connection closed, long before it is all sent, and the
 * process's memory does not grow by anything like its size. Slack's own requests still work.
 */
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeSlack } from '../emulator/slack/fake-slack.js';
import { SlackUser } from '../emulator/slack/slack-user.js';
import { WEIGHTS } from '../support/fixtures.js';
import { baseEnv, rssOf, startBot, type BotProcess } from './support/bot-process.js';

const SIGNING_SECRET = 'limits-signing-secret';
const ATTACK_BYTES = 200 * 1024 * 1024;

let fake: FakeSlack;
let bot: BotProcess;
let pid = 0;
let slackPort = 0;
let httpPort = 0;

beforeAll(async () => {
  fake = await FakeSlack.start();
  bot = startBot({
    ...baseEnv(),
    VGG19_WEIGHTS: WEIGHTS,
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    SLACK_PORT: '0',
    HTTP_PORT: '0',
  });
  const slack = await bot.logLine(/^Slack app listening for events/);
  slackPort = slack.port as number;
  pid = slack.pid as number;
  httpPort = (await bot.logLine(/^health and metrics/)).port as number;
  // Loading the weights moves memory a lot; the attack is measured once that is over.
  await bot.logLine(/^engine worker ready/);
}, 180_000);

afterAll(async () => {
  await bot?.stop();
  await fake?.close();
});

interface Attack {
  /** The status line the server answered with. */
  status: number;
  /** Bytes of body sent when the answer came. */
  sentWhenAnswered: number;
  /** Most resident memory of the bot while it went on. */
  peakRss: number;
}

/** Streams `ATTACK_BYTES` of body after `headers`, as fast as the server takes it, until it closes. */
async function attack(port: number, head: string): Promise<Attack> {
  let peakRss = await rssOf(pid);
  const sampler = setInterval(() => void rssOf(pid).then((r) => (peakRss = Math.max(peakRss, r)), () => undefined), 20);
  const socket = net.connect(port, '127.0.0.1');
  let sent = 0;
  let answer = '';
  let sentWhenAnswered = -1;
  let closed = false;
  socket.on('data', (d: Buffer) => {
    if (sentWhenAnswered < 0) sentWhenAnswered = sent;
    answer += d.toString('latin1');
  });
  socket.on('error', () => undefined);
  const gone = new Promise<void>((resolve) =>
    socket.on('close', () => {
      closed = true;
      resolve();
    }),
  );
  await new Promise((r) => socket.once('connect', r));
  socket.write(`${head}content-length: ${ATTACK_BYTES}\r\n\r\n`);
  const chunk = Buffer.alloc(256 * 1024, 0x61);
  // Like any HTTP client, it stops sending once the server has answered.
  while (!closed && sentWhenAnswered < 0 && sent < ATTACK_BYTES) {
    sent += chunk.length;
    if (!socket.write(chunk)) await new Promise((r) => (socket.once('drain', r), socket.once('close', r)));
  }
  if (!closed && sentWhenAnswered < 0) socket.end();
  // The server closes the connection (it does not wait for the rest of the body).
  await gone;
  clearInterval(sampler);
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0), sentWhenAnswered, peakRss };
}

const slackHead = (signature: string) =>
  `POST /slack/events HTTP/1.1\r\nhost: bot\r\ncontent-type: application/x-www-form-urlencoded\r\nx-slack-signature: ${signature}\r\nx-slack-request-timestamp: ${Math.floor(Date.now() / 1000)}\r\n`;

/** The server gave up on the body early: far from all of it was sent, and memory hardly moved. */
async function expectRefusedEarly(port: number, head: string, status: number): Promise<void> {
  const before = await rssOf(pid);
  const result = await attack(port, head);
  expect(result.status).toBe(status);
  // What the kernel's socket buffers take before the answer comes is a few MB, not 200.
  expect(result.sentWhenAnswered).toBeGreaterThanOrEqual(0);
  expect(result.sentWhenAnswered).toBeLessThan(32 * 1024 * 1024);
  expect(result.peakRss - before).toBeLessThan(64 * 1024 * 1024);
}

it('an unsigned POST to /slack/events is refused before its body is read', async () => {
  await expectRefusedEarly(slackPort, slackHead('v0=00'), 401);
});

it('a POST that looks signed is read only up to the limit, then refused with 413', async () => {
  await expectRefusedEarly(slackPort, slackHead(`v0=${'ab'.repeat(32)}`), 413);
});

it('a POST with a body to /healthz is refused before the body is read', async () => {
  await expectRefusedEarly(httpPort, 'POST /healthz HTTP/1.1\r\nhost: bot\r\n', 413);
});

it('Slack’s own signed requests are still served, and the bot is still healthy', async () => {
  const alice = new SlackUser(fake, { eventsUrl: `http://127.0.0.1:${slackPort}/slack/events`, signingSecret: SIGNING_SECRET }, 'U0ALICE');
  const help = await alice.slashCommand('help');
  expect(help.status).toBe(200);
  expect(help.json?.text).toMatch(/\/stylize/);
  const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
  expect(health.status).toBe(200);
});
