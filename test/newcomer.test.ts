/**
 * Issue 24, item 13: what a newcomer meets first. npm commands without a warning, an offline
 * `npm run fetch-weights` that says what to do, and README, .env.example and compose.yaml that
 * agree with the code.
 */
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BACKEND_CHOICES } from '../src/engine/index.js';
import { OFFICIAL_VGG19_H5 } from '../src/engine/weights/download.js';
import { formatBytes } from '../src/util/units.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

describe('npm', () => {
  it('prints no "Unknown project config" warning, and still skips the CUDA download', () => {
    const run = spawnSync('npm', ['pkg', 'get', 'name'], { cwd: root, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/Unknown (project|user|env) config/);
    const pkg = JSON.parse(read('package.json')) as { allowScripts?: Record<string, boolean> };
    // npm's allowScripts policy denies onnxruntime-node's install script, which would download the CUDA provider.
    expect(pkg.allowScripts?.['onnxruntime-node']).toBe(false);
    // Every other dependency with an install script is listed, so npm has nothing to warn about.
    const lock = JSON.parse(read('package-lock.json')) as {
      packages: Record<string, { hasInstallScript?: boolean }>;
    };
    const withScripts = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([k]) => k.replace(/^.*node_modules\//, ''));
    expect(Object.keys(pkg.allowScripts ?? {}).sort()).toEqual(withScripts.sort());
  });
});

describe('npm run fetch-weights without a network', () => {
  const fetchWeights = (url: string) =>
    spawnSync(
      process.execPath,
      [
        '--import',
        pathToFileURL(path.join(root, 'node_modules/tsx/dist/esm/index.mjs')).href,
        path.join(root, 'src/cli/fetch-weights.ts'),
        '--url',
        url,
        '--dir',
        path.join(root, '.cache', 'fetch-weights-test'),
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );

  it('a host that does not resolve: one sentence that says what to do, not "fetch failed"', () => {
    const run = fetchWeights('http://weights.invalid/vgg19.h5');
    expect(run.status).toBe(1);
    const last = run.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(
      /^Could not reach the download server for the VGG19 weights \(its name does not resolve: is this machine offline\?\)\. Fix: .*set VGG19_WEIGHTS to its path/,
    );
    expect(run.stderr).not.toMatch(/fetch failed|\n\s+at /);
  });

  it('a refused connection says so, with the same fix', async () => {
    // A port that was free a moment ago: nothing listens there.
    const server = createServer().listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const run = fetchWeights(`http://127.0.0.1:${port}/vgg19.h5`);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n').at(-1)).toMatch(/the connection failed: ECONNREFUSED\)\. Fix: /);
  });
});

describe('the documents agree with the code', () => {
  it("README gives the official file's size as the download shows it, and how long the tests take", () => {
    const readme = read('README.md');
    expect(readme).toContain(`VGG19 weights (${formatBytes(OFFICIAL_VGG19_H5.bytes)}, checksum-verified)`);
    expect(readme).toMatch(/npm test .*about \d+ minutes/);
  });

  it('.env.example offers every backend', () => {
    const line = read('.env.example')
      .split('\n')
      .find((l) => /^# auto \|/.test(l))!;
    for (const backend of BACKEND_CHOICES) expect(line).toContain(backend);
  });

  it("Slack's HTTP port is published by docker run and compose, and compose's GPU route is onnx-cuda", () => {
    expect(read('README.md')).toMatch(/docker run --env-file \.env -p 8080:8080 -p 3000:3000 stylize-bot/);
    const compose = read('compose.yaml');
    expect(compose).toMatch(/ports: \['8080:8080', '3000:3000'\]/);
    expect(compose).toMatch(/STYLIZE_BACKEND: onnx-cuda/);
    expect(compose).not.toMatch(/tfjs-node-gpu|CUDA 11/);
  });
});
