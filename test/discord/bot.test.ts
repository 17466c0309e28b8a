/**
 * The real bot (startApp: queue, engine worker, discord.js) against the loopback Discord emulator,
 * as a user sees it. The engine worker is the fake one (test/support/fake-engine-worker.ts): a
 * 96 px step takes 56 ms, so the 240-step job runs ~13 s, long enough for paced edits and previews;
 * real-engine.test.ts runs /stylize on the real engine.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { register } from '../../src/cli/register.js';
import { maxOf, optionsFor } from '../../src/commands/options.js';
import { USERS, type EmuInteraction } from '../emulator/discord/emulator.js';
import type { EmuMessage } from '../emulator/discord/payloads.js';
import { ephemeralAnswer, ephemeralFollowUp, logsOf, reply, startHarness, type Harness } from './harness.js';

let h: Harness;
/** The failure kind of the unreadable-picture job, for the metrics test. */
let failedKind = '';

beforeAll(async () => {
  h = await startHarness({ MAX_INPUT_BYTES: String(1024 * 1024), QUEUE_MAX_LENGTH: '2', QUEUE_MAX_PER_USER: '1' }, {}, { stepMs: 100 });
  // Registering first also tells the emulator the option types, as Discord knows them.
  await register(h.env);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

const isProgress = (content: string) => /\d+%/.test(content);

async function pictures() {
  return { content: await h.emu.uploadImage('chicago.jpg'), style: await h.emu.uploadImage('udnie.jpg') };
}

/** The job message once it shows its final state (the result embed, or buttons without Cancel). */
function finalState(i: EmuInteraction, where: () => EmuMessage | undefined = () => h.emu.original(i), timeoutMs = 90_000) {
  return h.emu.waitFor(
    'the final edit',
    () => {
      const m = where();
      if (!m || m.deferred || m.history.length === 0) return undefined;
      const labels = h.emu.buttons(m).map((b) => b.label);
      return !labels.includes('Cancel') && (labels.length > 0 || /cancel|fail|wrong/i.test(m.content)) ? m : undefined;
    },
    timeoutMs,
  );
}

function button(m: EmuMessage, label: string): string {
  const b = h.emu.buttons(m).find((x) => x.label === label);
  if (!b) throw new Error(`no ${label} button on "${m.content}"`);
  return b.customId;
}

async function queueEmpty() {
  await h.emu.waitFor('an empty queue', () => h.live.length === 0, 30_000);
}

describe('npm run register', () => {
  it('puts the commands with the ranges of the one option schema, the size capped by MAX_IMAGE_SIZE', () => {
    const put = h.emu.requests.find((r) => r.route === 'put-commands');
    expect(put?.path).toBe(`/applications/${h.emu.applicationId}/commands`);
    const commands = put!.body as { name: string; options?: Record<string, unknown>[] }[];
    expect(commands.map((c) => c.name).sort()).toEqual(['Save as style', 'Stylize this photo', 'cancel', 'help', 'queue', 'style', 'stylize']);
    const opts = commands.find((c) => c.name === 'stylize')!.options!;
    const byName = (n: string) => opts.find((o) => o.name === n)!;
    expect(byName('content')).toMatchObject({ type: 11, required: true });
    // The painting may come from the server's style library instead (style_name, autocompleted).
    expect(byName('style')).toMatchObject({ type: 11, required: false });
    expect(byName('style_name')).toMatchObject({ type: 3, autocomplete: true });
    expect(byName('style2')).toMatchObject({ type: 11, required: false });
    expect(byName('size')).toMatchObject({ type: 4, min_value: 64, max_value: 128 });
    expect(byName('strength')).toMatchObject({ type: 10, min_value: 0, max_value: 1 });
    expect(byName('iterations')).toMatchObject({ type: 4, min_value: 10, max_value: 2000 });
    expect(byName('private')).toMatchObject({ type: 5 });
    // Every option of the issue, each number with the schema's range, so Discord refuses what the bot would.
    const names = ['content', 'style', 'style2', 'style_name', 'mode', 'strength', 'size', 'iterations', 'content_weight', 'style_weight', 'tv_weight', 'preserve_colors', 'seed', 'private'];
    expect(opts.map((o) => o.name).sort()).toEqual([...names].sort());
    for (const def of optionsFor('discord')) {
      if (def.kind === 'integer' || def.kind === 'number') {
        expect(byName(def.name), def.name).toMatchObject({ type: def.kind === 'integer' ? 4 : 10, min_value: def.min, max_value: maxOf(def, 128) });
      } else if (def.kind === 'boolean') {
        expect(byName(def.name), def.name).toMatchObject({ type: 5 });
      }
    }
    for (const o of opts) expect(String(o.description).length).toBeLessThanOrEqual(100);
  });

  it('registers in one server only when DISCORD_DEV_GUILD_ID is set', async () => {
    const result = await register({ ...h.env, DISCORD_DEV_GUILD_ID: h.emu.guildId });
    expect(result.scope).toBe(`server ${h.emu.guildId}`);
    expect(h.emu.requests.at(-1)).toMatchObject({ method: 'PUT', path: `/applications/${h.emu.applicationId}/guilds/${h.emu.guildId}/commands`, status: 200 });
  });
});

describe('the gateway session', () => {
  it('identifies with the Guilds intent only, and heartbeats are sent and acknowledged', async () => {
    const identify = h.emu.gatewayFrames.find((f) => f.op === 2)!.d as { intents: number; token: string };
    expect(identify.intents).toBe(1);
    await h.emu.waitFor('three heartbeats', () => h.emu.gatewayFrames.filter((f) => f.op === 1).length >= 3, 10_000);
    // discord.js measures the ping from heartbeat to ACK; it stays -1 until an ACK arrives.
    expect(h.app.discord!.client.ws.ping).toBeGreaterThanOrEqual(0);
    expect(h.app.discord!.status).toBe('ready');
  });
});

describe('/help', () => {
  it('lists every option with its range and examples, only to the asker', async () => {
    const i = h.emu.runCommand({ name: 'help' });
    const m = await ephemeralAnswer(h.emu, i);
    const text = String(m.embeds[0]?.description);
    for (const name of ['mode', 'strength', 'size', 'iterations', 'content_weight', 'style_weight', 'tv_weight', 'preserve_colors', 'seed', 'private']) {
      expect(text).toContain(name);
    }
    expect(text).toContain('size (64–128');
    expect(text).toMatch(/\/stylize content:<photo> style:<painting> .*strength:0\.7/);
  });
});

describe('/stylize', () => {
  it('acknowledges at once, shows the line, progress and previews, and ends with the picture and buttons', async () => {
    const alice = h.emu.runCommand({ name: 'stylize', options: { ...(await pictures()), size: 96, iterations: 240 } });
    const first = await reply(h.emu, alice);
    const callback = h.emu.requestsOf(alice).find((r) => r.route === 'callback')!;
    expect((callback.body as { type: number }).type).toBe(5);
    expect(callback.at - alice.createdAt).toBeLessThan(3000);
    expect(first.content).toMatch(/Starting now|Started|Queued/);

    // Bob asks while Alice's job runs: he is told his place in the line.
    const bob = h.emu.runCommand({ name: 'stylize', user: USERS.bob, options: { ...(await pictures()), size: 64, iterations: 10 } });
    const bobReply = await h.emu.waitFor('bob in the line', () => {
      const m = h.emu.original(bob);
      return m && /Queued: you are next/.test(m.content) ? m : undefined;
    });
    expect(bobReply.content).toMatch(/^Queued: you are next\. Ready in about \d+ (s|min)\.$/);

    // Bob may not cancel Alice's picture.
    const running = await h.emu.waitFor('a progress edit', () => {
      const m = h.emu.original(alice);
      return m && isProgress(m.content) ? m : undefined;
    });
    const bobClick = h.emu.clickButton(running, button(running, 'Cancel'), USERS.bob);
    expect((await ephemeralAnswer(h.emu, bobClick)).content).toMatch(/Only the person who asked/);

    // Bob cancels his own while it waits.
    const bobCancel = h.emu.clickButton(bobReply, button(bobReply, 'Cancel'), USERS.bob);
    expect((await ephemeralAnswer(h.emu, bobCancel)).content).toMatch(/Taken out of the queue/);
    const bobFinal = await finalState(bob);
    expect(bobFinal.content).toMatch(/Cancelled/);

    const done = await finalState(alice);
    expect(done.content).toMatch(/Done in/);
    const progress = done.history.filter((s) => isProgress(s.content));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    // A bar, the scale and the time left.
    expect(progress[0]!.content).toMatch(/^[▰▱]{16} \d+%\nScale \d+\/\d+ \(\d+×\d+\)( · about \d+ (s|min) left)?$/);
    expect(progress.some((s) => / · about \d+ (s|min) left$/.test(s.content))).toBe(true);
    // Only changes are sent: no two states in a row look the same.
    for (let k = 1; k < done.history.length; k++) {
      const [a, b] = [done.history[k - 1]!, done.history[k]!];
      expect(`${b.content}|${b.attachments.join()}`).not.toBe(`${a.content}|${a.attachments.join()}`);
    }
    // Never more than one edit per 3 s (a little slack for timers).
    for (let k = 1; k < done.history.length; k++) {
      expect(done.history[k]!.at - done.history[k - 1]!.at).toBeGreaterThanOrEqual(2900);
    }
    expect(done.history.some((s) => s.attachments.includes('preview.png'))).toBe(true);
    // Previews come at about every quarter: each upload shows a later stage than the one before.
    const previewEdits = h.emu
      .requestsOf(alice)
      .filter((r) => r.files.some((f) => f.filename === 'preview.png'))
      .map((r) => Number(/(\d+)%/.exec((r.body as { content: string }).content)?.[1]));
    expect(previewEdits.length).toBeGreaterThanOrEqual(2);
    expect(previewEdits.length).toBeLessThanOrEqual(3);
    expect(previewEdits[0]).toBeGreaterThanOrEqual(25);
    for (let k = 1; k < previewEdits.length; k++) expect(previewEdits[k]).toBeGreaterThan(previewEdits[k - 1]!);

    expect(done.attachments.map((a) => a.filename)).toEqual(['stylized.png']);
    const meta = await sharp(done.attachments[0]!.bytes).metadata();
    expect(meta.format).toBe('png');
    expect(Math.max(meta.width!, meta.height!)).toBe(96);
    const embed = done.embeds[0] as { image?: { url: string }; fields: { name: string; value: string }[]; footer: { text: string } };
    expect(embed.image?.url).toBe('attachment://stylized.png');
    const field = (n: string) => embed.fields.find((f) => f.name === n)?.value;
    expect(field('Seed')).toMatch(/^\d+$/);
    expect(field('Backend')).toMatch(/onnx|wasm|cpu|tensorflow/);
    expect(field('Parameters')).toContain('size: 96');
    expect(field('Time')).toMatch(/^\d+ (s|min)$/);
    expect(h.emu.buttons(done).map((b) => b.label)).toEqual(['Reroll', 'Parameters', 'Less style', 'More style', 'HD']);

    // Parameters: the command to make it again, with the seed that was picked.
    const params = h.emu.clickButton(done, button(done, 'Parameters'), USERS.alice);
    const paramsAnswer = await ephemeralAnswer(h.emu, params);
    expect(paramsAnswer.content).toContain(`/stylize content:<photo> style:<painting> size:96 iterations:240 seed:${field('Seed')}`);

    // Reroll starts a new job from the kept pictures; its requester can cancel it while it runs.
    const reroll = h.emu.clickButton(done, button(done, 'Reroll'), USERS.alice);
    const rerollRunning = await h.emu.waitFor('the reroll to run', () => {
      const m = h.emu.original(reroll);
      return m && /Started|Starting|%/.test(m.content) ? m : undefined;
    });
    const stop = h.emu.clickButton(rerollRunning, button(rerollRunning, 'Cancel'), USERS.alice);
    expect((await ephemeralAnswer(h.emu, stop)).content).toMatch(/Stopping|Taken out/);
    const rerollFinal = await finalState(reroll);
    expect(rerollFinal.content).toMatch(/^Cancelled/);
    expect(rerollFinal.attachments).toEqual([]);
    // The reroll had the same options and another seed.
    const rerollParams = await ephemeralAnswer(h.emu, h.emu.clickButton(rerollFinal, button(rerollFinal, 'Parameters'), USERS.alice));
    const rerollSeed = /seed:(\d+)/.exec(rerollParams.content)?.[1];
    expect(rerollParams.content).toContain('/stylize content:<photo> style:<painting> size:96 iterations:240 seed:');
    expect(rerollSeed).toBeDefined();
    expect(rerollSeed).not.toBe(field('Seed'));
    await queueEmpty();

    // Inputs that are no longer kept: a sentence, and nothing queued.
    const stale = h.emu.clickButton(done, 'stylize:reroll:forgotten-key', USERS.alice);
    expect((await ephemeralAnswer(h.emu, stale)).content).toMatch(/no longer kept \(they are kept for 60 minutes\)\. Run \/stylize again/);
    expect((await h.app.queue.snapshot()).length).toBe(0);
  });

  it('refuses a second job of the same user and a full queue, with a sentence only they see', async () => {
    const first = h.emu.runCommand({ name: 'stylize', options: { ...(await pictures()), size: 96, iterations: 200 } });
    await reply(h.emu, first);
    const again = h.emu.runCommand({ name: 'stylize', options: { ...(await pictures()), size: 64 } });
    expect((await ephemeralFollowUp(h.emu, again)).content).toMatch(/already|one job|at a time|limit/i);
    expect(h.emu.original(again)).toBeUndefined();

    const bob = h.emu.runCommand({ name: 'stylize', user: USERS.bob, options: { ...(await pictures()), size: 64 } });
    await reply(h.emu, bob);
    const mod = h.emu.runCommand({ name: 'stylize', user: USERS.mod, options: { ...(await pictures()), size: 64 } });
    expect((await ephemeralFollowUp(h.emu, mod)).content).toMatch(/full|busy/i);
    expect((await h.app.queue.snapshot()).length).toBe(2);

    // /queue tells Bob where he stands; /cancel takes his job out.
    const q = h.emu.runCommand({ name: 'queue', user: USERS.bob });
    expect((await ephemeralAnswer(h.emu, q)).content).toMatch(/2 jobs in the queue[\s\S]*Your job is #1 in line; ready in about \d+ (s|min)\./);
    const c = h.emu.runCommand({ name: 'cancel', user: USERS.bob });
    expect((await ephemeralAnswer(h.emu, c)).content).toBe('Taken out of the queue.');
    expect((await finalState(bob)).content).toMatch(/Cancelled/);
    // A moderator (Manage Messages) may cancel someone else's job.
    const bob2 = h.emu.runCommand({ name: 'stylize', user: USERS.bob, options: { ...(await pictures()), size: 64 } });
    const bob2Reply = await reply(h.emu, bob2);
    const modClick = h.emu.clickButton(bob2Reply, button(bob2Reply, 'Cancel'), USERS.mod);
    expect((await ephemeralAnswer(h.emu, modClick)).content).toMatch(/Taken out of the queue/);
    expect((await finalState(bob2)).content).toBe('Cancelled by a moderator.');
    const c2 = h.emu.runCommand({ name: 'cancel', user: USERS.alice });
    expect((await ephemeralAnswer(h.emu, c2)).content).toBe('Stopping your picture.');
    expect((await finalState(first)).content).toMatch(/Cancelled/);
    await queueEmpty();
    const none = h.emu.runCommand({ name: 'cancel', user: USERS.alice });
    expect((await ephemeralAnswer(h.emu, none)).content).toMatch(/no job/);
  });

  describe('refuses bad attachments before queueing anything', () => {
    const cases: [string, () => Promise<Record<string, unknown>>, RegExp][] = [
      [
        'a text file named .png',
        async () => ({ content: h.emu.upload('notes.png', new TextEncoder().encode('these are my notes, not a picture\n'.repeat(20))) }),
        /content image \(notes\.png\) is a text file, not a picture\. Use a JPEG, PNG, WebP or GIF/,
      ],
      ['an empty file', async () => ({ content: h.emu.upload('empty.png', new Uint8Array(0)) }), /content image \(empty\.png\) is empty/],
      [
        'a file over the byte limit',
        async () => ({ style: h.emu.upload('huge.png', pngLike(2 * 1024 * 1024)) }),
        /style image \(huge\.png\) is 2\.0 MB, more than the 1\.0 MB limit/,
      ],
      [
        'a file over the byte limit whose stated size lies and that comes without a length',
        async () => ({ style: h.emu.upload('liar.png', pngLike(2 * 1024 * 1024), { declaredSize: 1000, chunked: true }) }),
        /style image \(liar\.png\) is larger than the 1\.0 MB limit/,
      ],
      [
        'a host outside the allow-list',
        async () => ({ content: h.emu.upload('photo.jpg', new Uint8Array(16), { host: `localhost:${h.emu.port}` }) }),
        /content image \(photo\.jpg\) comes from localhost:\d+, and this bot only downloads files uploaded to the chat itself/,
      ],
    ];
    it.each(cases)('%s', async (_name, bad, expected) => {
      const i = h.emu.runCommand({ name: 'stylize', options: { ...(await pictures()), size: 64, ...(await bad()) } });
      const answer = await ephemeralFollowUp(h.emu, i);
      expect(answer.content).toMatch(expected);
      // The public "thinking…" reply is removed, and no job exists.
      expect(h.emu.original(i)).toBeUndefined();
      expect((await h.app.queue.snapshot()).length).toBe(0);
      // The host outside the allow-list was never contacted.
      if (/allow-list/.test(_name)) expect(h.emu.requests.filter((r) => r.route === 'cdn' && r.path.includes('photo.jpg')).length).toBe(0);
    });

    it('an option outside its range (Discord checks it too, the bot again)', async () => {
      const i = h.emu.runCommand({ name: 'stylize', options: { ...(await pictures()), size: 4096 } });
      const m = await ephemeralAnswer(h.emu, i);
      expect(m.content).toBe('size must be at most 128 (you gave 4096).');
      expect((await h.app.queue.snapshot()).length).toBe(0);
    });
  });

  it('keeps a private refusal in the private reply', async () => {
    const i = h.emu.runCommand({ name: 'stylize', options: { ...(await pictures()), content: h.emu.upload('empty.jpg', new Uint8Array(0)), private: true } });
    const m = await h.emu.waitFor('the private refusal', () => {
      const o = h.emu.original(i);
      return o && !o.deferred ? o : undefined;
    });
    expect(m.flags & 64).toBe(64);
    expect(m.content).toMatch(/content image \(empty\.jpg\) is empty/);
    expect(h.emu.followUps(i)).toEqual([]);
  });

  it('tells the user, with a request id, when the engine cannot read a picture that looked fine', async () => {
    const broken = pngLike(4096);
    const i = h.emu.runCommand({ name: 'stylize', options: { ...(await pictures()), content: h.emu.upload('broken.png', broken), size: 64 } });
    const m = await finalState(i);
    expect(m.content).not.toMatch(/Done/);
    expect(m.content).toMatch(/content image.*\(request [0-9a-f]{10}\)$/s);
    expect(h.emu.buttons(m).map((b) => b.label)).toEqual(['Reroll', 'Parameters']);
    // The request id the user reads finds the job in the log, with what went wrong.
    const requestId = /\(request ([0-9a-f]{10})\)$/.exec(m.content)![1]!;
    const settled = logsOf(h, requestId).find((l) => l.msg === 'job settled');
    expect(settled).toMatchObject({ status: 'failed', kind: expect.any(String), userId: USERS.alice.id });
    failedKind = String(settled!.kind);
    await queueEmpty();
  });

  it('continues in a channel message when Discord answers an edit with "Invalid Webhook Token"', async () => {
    h.emu.failWebhookEdits = true;
    try {
      const i = h.emu.runCommand({ name: 'stylize', options: { ...(await pictures()), size: 64, iterations: 10 } });
      const inChannel = await finalState(i, () => h.emu.channelMessages().find((m) => m.content.startsWith(`<@${USERS.alice.id}>`)));
      expect(inChannel.content).toMatch(/Done in/);
      expect(inChannel.attachments.map((a) => a.filename)).toEqual(['stylized.png']);
      const failed = h.emu.requestsOf(i).filter((r) => r.route !== 'callback');
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.every((r) => r.status === 401)).toBe(true);
      // One channel message, edited in place rather than one message per update.
      expect(h.emu.channelMessages().filter((m) => m.content.startsWith(`<@${USERS.alice.id}>`))).toHaveLength(1);
    } finally {
      h.emu.failWebhookEdits = false;
    }
  });
});

describe('the result message', () => {
  it("fits the interaction's attachment_size_limit, saying so, when the PNG is too big for it", async () => {
    // The emulator refuses uploads above the limit the interaction carries, as Discord does (413).
    const limit = 16 * 1024 + 3000;
    const i = h.emu.runCommand({ name: 'stylize', options: { ...(await pictures()), size: 96, iterations: 10 }, attachmentSizeLimit: limit });
    const done = await finalState(i);
    expect(done.content).toMatch(/^Done in .*\nThe (PNG|picture) was too big to upload here, so this is a/);
    expect(done.attachments.map((a) => a.filename)).toEqual(['stylized.jpg']);
    const file = done.attachments[0]!;
    expect(file.bytes.length).toBeLessThanOrEqual(limit);
    const meta = await sharp(file.bytes).metadata();
    expect(meta.format).toBe('jpeg');
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(96);
    expect((done.embeds[0] as { image?: { url: string } }).image?.url).toBe('attachment://stylized.jpg');
    expect(h.emu.requestsOf(i).filter((r) => r.status === 413)).toEqual([]);
    await queueEmpty();
  });

  it('says so in a sentence with the request id when Discord refuses the final edit', async () => {
    h.emu.fault = (r) =>
      r.files.some((f) => f.filename.startsWith('stylized.')) ? { status: 413, body: { code: 40005, message: 'Request entity too large' } } : undefined;
    try {
      const i = h.emu.runCommand({ name: 'stylize', options: { ...(await pictures()), size: 64, iterations: 10 } });
      const m = await h.emu.waitFor('the sentence instead of the picture', () => {
        const o = h.emu.original(i);
        return o && /could not be posted/.test(o.content) ? o : undefined;
      }, 90_000);
      expect(m.content).toMatch(/^Done in .*\nThe picture was made, but it could not be posted here \(request ([0-9a-f]{10})\)\. Try \/stylize again/);
      expect(m.attachments).toEqual([]);
      expect(h.emu.buttons(m)).toEqual([]);
      const requestId = /request ([0-9a-f]{10})/.exec(m.content)![1]!;
      expect(logsOf(h, requestId).some((l) => l.msg === 'the final message was refused; sending a plain sentence instead')).toBe(true);
    } finally {
      h.emu.fault = undefined;
    }
    await queueEmpty();
  });
});

describe('health and metrics', () => {
  it('answers /healthz and /metrics with the queue length, job durations and failures by kind', async () => {
    const base = `http://127.0.0.1:${h.app.httpPort}`;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, discord: 'ready', queue: { length: 0 } });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^stylize_queue_length 0$/m);
    expect(metrics).toMatch(/^stylize_job_duration_seconds_count\{platform="discord",outcome="done"\} [1-9]/m);
    expect(metrics).toMatch(/^stylize_jobs_total\{platform="discord",outcome="cancelled"\} [1-9]/m);
    expect(metrics).toMatch(/^stylize_job_rejections_total\{platform="discord",code="user-limit"\} 1$/m);
    expect(metrics).toMatch(/^stylize_job_rejections_total\{platform="discord",code="queue-full"\} 1$/m);
    expect(metrics).toMatch(new RegExp(`^stylize_job_failures_total\\{platform="discord",kind="${failedKind}"\\} [1-9]`, 'm'));
  });
});

/** Starts like a PNG (so only the size can refuse it) and is `bytes` long. */
function pngLike(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  out.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return out;
}
