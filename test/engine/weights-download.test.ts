import { FAST_MODELS_DIR } from './support/fast-models.js';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { refusal } from '../support/fixtures.js';
import { downloadWeights, ensureWeights } from '../../src/engine/weights/download.js';

const BODY = randomBytes(300_000);
const MD5 = createHash('md5').update(BODY).digest('hex');

let server: Server;
let base: string;
let requests = 0;
let tmp: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    if (req.url === '/weights.h5') {
      res.writeHead(200, { 'content-length': BODY.length, 'content-type': 'application/octet-stream' });
      // Several chunks, so progress has something to report.
      let sent = 0;
      const step = () => {
        if (sent >= BODY.length) return res.end();
        res.write(BODY.subarray(sent, sent + 65_536), step);
        sent += 65_536;
      };
      step();
    } else if (req.url === '/cut.h5') {
      res.writeHead(200, { 'content-length': BODY.length });
      res.write(BODY.subarray(0, 1000), () => res.destroy());
    } else {
      res.writeHead(404, 'Not Found').end('no such file');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'weights-dl-'));
});

afterAll(async () => {
  server.close();
  await rm(tmp, { recursive: true, force: true });
});


describe('downloadWeights', () => {
  it('downloads with progress and a matching checksum, into place', async () => {
    const dest = path.join(tmp, 'ok', 'w.h5');
    const progress: [number, number | undefined][] = [];
    const out = await downloadWeights(dest, { url: `${base}/weights.h5`, md5: MD5, onProgress: (r, t) => progress.push([r, t]) });
    expect(out).toBe(dest);
    expect(Buffer.from(await readFile(dest)).equals(BODY)).toBe(true);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toEqual([BODY.length, BODY.length]);
    expect(progress.every(([r], i) => i === 0 || r > progress[i - 1]![0])).toBe(true);
    expect(await readdir(path.dirname(dest))).toEqual(['w.h5']);
  });

  it('deletes the file and says so when the checksum differs', async () => {
    const dest = path.join(tmp, 'bad-md5', 'w.h5');
    const r = await refusal(downloadWeights(dest, { url: `${base}/weights.h5`, md5: '0'.repeat(32) }));
    expect(r.code).toBe('weights-corrupt');
    expect(r.message).toContain(`checksum md5 ${MD5}, expected ${'0'.repeat(32)}, so it was deleted`);
    expect(r.message).not.toMatch(/npm run|VGG19_WEIGHTS/);
    expect(await readdir(path.dirname(dest))).toEqual([]);
  });

  it('reports a 404 clearly and leaves nothing behind', async () => {
    const dest = path.join(tmp, 'missing', 'w.h5');
    const r = await refusal(downloadWeights(dest, { url: `${base}/nope.h5`, md5: MD5 }));
    expect(r.code).toBe('weights-missing');
    expect(r.message).toMatch(/answered HTTP 404 Not Found\. Check the network/);
    expect(r.message).not.toMatch(/npm run|VGG19_WEIGHTS/);
    expect(await readdir(path.dirname(dest))).toEqual([]);
  });

  it('reports a connection that breaks off mid-download and leaves nothing behind', async () => {
    const dest = path.join(tmp, 'cut', 'w.h5');
    const r = await refusal(downloadWeights(dest, { url: `${base}/cut.h5`, md5: MD5 }));
    expect(['weights-missing', 'weights-corrupt']).toContain(r.code);
    expect(r.message).toMatch(/broke off|incomplete/);
    expect(await readdir(path.dirname(dest))).toEqual([]);
  });
});

describe('ensureWeights', () => {
  it('returns VGG19_WEIGHTS as is when configured, downloading nothing', async () => {
    const before = requests;
    expect(await ensureWeights({ VGG19_WEIGHTS: '/some/model.json', WEIGHTS_CACHE_DIR: tmp }, { url: `${base}/weights.h5` })).toBe(
      '/some/model.json',
    );
    expect(requests).toBe(before);
  });

  it('downloads once into the cache, then reuses the valid file, and replaces a damaged one', async () => {
    const cache = path.join(tmp, 'cache');
    const opts = { url: `${base}/weights.h5`, md5: MD5, fileName: 'w.h5' };
    const before = requests;
    const file = await ensureWeights({ WEIGHTS_CACHE_DIR: cache }, opts);
    expect(file).toBe(path.resolve(cache, 'w.h5'));
    expect(requests).toBe(before + 1);
    expect(await ensureWeights({ WEIGHTS_CACHE_DIR: cache }, opts)).toBe(file);
    expect(requests).toBe(before + 1);

    await writeFile(file, 'half a file');
    const logs: string[] = [];
    await ensureWeights({ WEIGHTS_CACHE_DIR: cache }, { ...opts, log: (m) => logs.push(m) });
    expect(requests).toBe(before + 2);
    expect(logs.join('\n')).toMatch(/fail their checksum/);
    expect(Buffer.from(await readFile(file)).equals(BODY)).toBe(true);
  });
});

describe('npm run fetch-weights', () => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli/fetch-weights.ts', ...args],
        // The fast network's files are the shared copy: this file is about the VGG19 download.
        { env: { ...process.env, VGG19_WEIGHTS: '', FAST_STYLE_MODELS: FAST_MODELS_DIR } },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });

  it('downloads a checked file into the cache directory and says where it is', async () => {
    const dir = path.join(tmp, 'cli');
    const r = await run(['--dir', dir, '--url', `${base}/weights.h5`, '--md5', MD5]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`VGG19 weights ready: ${path.resolve(dir, 'weights.h5')}`);
    expect(Buffer.from(await readFile(path.join(dir, 'weights.h5'))).equals(BODY)).toBe(true);
  });

  it('exits non-zero with one readable line on a bad checksum', async () => {
    const dir = path.join(tmp, 'cli-bad');
    const r = await run(['--dir', dir, '--url', `${base}/weights.h5`, '--md5', 'f'.repeat(32)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/has checksum md5 [0-9a-f]{32}, expected f{32}, so it was deleted/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
