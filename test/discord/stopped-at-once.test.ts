/**
 * Issue 24, item 6: a job whose process goes away is not left looking alive. The bot process
 * (`npm start`'s runBot, with the fake engine thread: the engine is not what is tested) against
 * the Discord emulator: two SIGINTs 300 ms apart make the job's message say the bot stopped and
 * what to do; a process killed with SIGKILL leaves the job's message to the next start, which says
 * the picture was lost; a SIGTERM while that start is still telling the user stops it cleanly.
 */
import { type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import {
  startDiscordEmulator,
  type DiscordEmulator,
  type EmuInteraction,
} from '../emulator/discord/emulator.js';
import { FAST_MODELS_DIR } from '../engine/support/fast-models.js';
import { spawnBot } from '../support/bot-process.js';
import { IMAGES_DIR } from '../support/fixtures.js';
import { emulatorEnv } from './harness.js';

let emu: DiscordEmulator;
let cwd: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  emu = await startDiscordEmulator({ imagesDir: IMAGES_DIR });
  // One working directory for both starts of the bot: the second finds what the first left there.
  cwd = await mkdtemp(path.join(os.tmpdir(), 'stylize-stopped-'));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await emu?.close();
  await rm(cwd, { recursive: true, force: true });
});

const identifies = () => emu.gatewayFrames.filter((f) => f.op === 2).length;

/** Starts the bot and resolves once it has identified on the gateway. */
async function startBot(engine: 'real' | 'fake' = 'fake'): Promise<{ child: ChildProcess; output: () => string; exited: Promise<[number | null, NodeJS.Signals | null]> }> {
  const before = identifies();
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: os.tmpdir(),
    ...emulatorEnv(emu),
    HTTP_ENABLED: 'false',
    FAST_STYLE_MODELS: FAST_MODELS_DIR,
    SHUTDOWN_GRACE_S: '60',
    LOG_LEVEL: 'info',
    // 2000 steps of 20 ms: the job is still running when the process goes away.
    FAKE_STEP_MS: '20',
  };
  const child = spawnBot(engine, { cwd, env });
  children.push(child);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await emu.waitFor('the bot to connect', () => identifies() > before || undefined, 90_000);
  return { child, output: () => output, exited };
}

/** A long job (2000 steps at 128 px, 40 s): it is still running when the process goes away. */
async function longJob(): Promise<EmuInteraction> {
  const i = emu.runCommand({
    name: 'stylize',
    options: {
      content: await emu.uploadImage('golden_gate.jpg'),
      style: await emu.uploadImage('udnie.jpg'),
      size: 128,
      iterations: 2000,
    },
  });
  await emu.waitFor('a progress edit', () => /\d+ ?%/.test(emu.original(i)?.content ?? ''), 90_000);
  return i;
}

it('two SIGINTs 300 ms apart: the running job’s message says the bot stopped and what to do, not its last progress', async () => {
  // The real engine: with the fake one's sharp calls in a thread, exit(1) mid-job aborted the
  // process in 2 of 4 runs ("terminate called after throwing an instance of 'Napi::Error'").
  const bot = await startBot('real');
  const i = await longJob();
  bot.child.kill('SIGINT');
  await new Promise((r) => setTimeout(r, 300));
  bot.child.kill('SIGINT');
  const [code] = (await once(bot.child, 'exit')) as [number | null];
  expect(code, bot.output()).toBe(1);
  const m = emu.original(i)!;
  expect(m.content).toMatch(
    /^The bot was stopped before your picture was finished, and the picture was lost; please run \/stylize again once the bot is back \(request \S+\)\.$/,
  );
  expect(emu.buttons(m).map((b) => b.label)).not.toContain('Cancel');
}, 180_000);

it('a process killed with SIGKILL: the next start tells the job’s user that the picture was lost', async () => {
  const first = await startBot();
  const i = await longJob();
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  // Nothing could be said: the message still shows progress.
  expect(emu.original(i)!.content).toMatch(/\d+ ?%/);
  const second = await startBot();
  const m = await emu.waitFor(
    'the next start to tell the user',
    () => {
      const msg = emu.original(i);
      return msg && /stopped unexpectedly/.test(msg.content) ? msg : undefined;
    },
    90_000,
  );
  expect(m.content).toMatch(
    /^The bot stopped unexpectedly while making your picture, and the picture was lost; please run \/stylize again \(request \S+\)\.$/,
  );
  expect(emu.buttons(m).map((b) => b.label)).not.toContain('Cancel');
  second.child.kill('SIGTERM');
  const [code] = (await once(second.child, 'exit')) as [number | null];
  expect(code, second.output()).toBe(0);
}, 180_000);

it('a SIGTERM while the next start still tells the user their picture was lost: it finishes telling, then exits 0', async () => {
  const first = await startBot();
  const i = await longJob();
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  // The start-up's edit of the job's message waits here until the signal has been sent.
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let held = false;
  emu.hold = (r) => {
    if (r.method !== 'PATCH' || r.interactionToken !== i.token) return undefined;
    held = true;
    return released;
  };
  try {
    const second = await startBot();
    // Polled: the emulator's change events come only once a request is answered.
    await vi.waitFor(() => expect(held).toBe(true), { timeout: 90_000, interval: 50 });
    second.child.kill('SIGTERM');
    // The bot has taken the signal (or died of it) before its start-up may go on.
    await Promise.race([second.exited, vi.waitFor(() => expect(second.output()).toMatch(/signal received/), { timeout: 30_000, interval: 50 })]);
    release();
    const [code, signal] = await second.exited;
    expect({ code, signal }, second.output()).toEqual({ code: 0, signal: null });
    expect(emu.original(i)!.content).toMatch(/^The bot stopped unexpectedly while making your picture, and the picture was lost/);
  } finally {
    emu.hold = undefined;
    release();
  }
}, 180_000);
