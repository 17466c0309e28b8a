import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { expect, it } from 'vitest';
import { startDiscordEmulator } from '../emulator/discord/emulator.js';
import { IMAGES_DIR, WEIGHTS, image, meanDifference } from '../support/fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function run(
  env: Record<string, string>,
  onStart: (child: ReturnType<typeof spawn>) => void = () => undefined,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // From an empty directory, so no .env of the developer's leaks in.
    void mkdtemp(path.join(os.tmpdir(), 'stylize-start-')).then((cwd) => {
      const child = spawn(path.join(root, 'node_modules', '.bin', 'tsx'), [path.join(root, 'src', 'main.ts')], { cwd, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      onStart(child);
      child.on('close', (code) => {
        void rm(cwd, { recursive: true, force: true });
        resolve({ code, stdout, stderr });
      });
    });
  });
}

const cleanEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir() };

it('npm start without a token prints one line naming the variable to set, and exits 1', async () => {
  const { code, stdout, stderr } = await run(cleanEnv);
  expect(code).toBe(1);
  expect(stdout).toBe('');
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(/^Configuration error: DISCORD_TOKEN is unset .*fix: /);
  expect(stderr).not.toMatch(/\bat \S+:\d+/);
});

it('a bad value is one line too, naming the variable and its value but never a secret', async () => {
  const { code, stderr } = await run({ ...cleanEnv, DISCORD_TOKEN: 'super.secret.token-value', HTTP_PORT: 'eighty' });
  expect(code).toBe(1);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(/HTTP_PORT="eighty"/);
  expect(stderr).not.toContain('super.secret');
});

it('npm start connects with the configured token, and SIGTERM lets the running job (real engine) finish with its stylised picture, then exits 0', async () => {
  const emu = await startDiscordEmulator({ imagesDir: IMAGES_DIR });
  try {
    let child: ReturnType<typeof spawn> | undefined;
    const env = {
      ...cleanEnv,
      DISCORD_TOKEN: emu.token,
      DISCORD_APPLICATION_ID: emu.applicationId,
      DISCORD_API_URL: emu.apiUrl,
      DISCORD_CDN_HOSTS: emu.cdnHost,
      VGG19_WEIGHTS: WEIGHTS,
      HTTP_PORT: '0',
      SHUTDOWN_GRACE_S: '60',
      LOG_LEVEL: 'info',
    };
    const exited = run(env, (c) => (child = c));
    await emu.ready;
    const i = emu.runCommand({
      name: 'stylize',
      options: { content: await emu.uploadImage('golden_gate.jpg'), style: await emu.uploadImage('udnie.jpg'), size: 64, iterations: 10 },
    });
    await emu.waitFor('the job to start', () => /Start|%/.test(emu.original(i)?.content ?? ''), 60_000);
    child!.kill('SIGTERM');
    const { code, stdout } = await exited;
    expect(code).toBe(0);
    const done = emu.original(i)!;
    expect(done.content).toMatch(/Done in/);
    expect(stdout).toContain('shutting down');
    // The real engine's picture: the asked size, and the photo changed towards the painting.
    const picture = done.attachments.find((a) => a.filename === 'stylized.png')!;
    const meta = await sharp(picture.bytes).metadata();
    expect([meta.format, Math.max(meta.width!, meta.height!)]).toEqual(['png', 64]);
    expect(await meanDifference(picture.bytes, image('golden_gate.jpg'))).toBeGreaterThan(8);
  } finally {
    await emu.close();
  }
}, 120_000);
