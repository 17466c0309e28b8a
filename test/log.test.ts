import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';

const TOKEN = 'MTA5ODc2NTQzMjEwOTg3NjU0.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, stream };
}

describe('logging', () => {
  it('never writes a token, whether in a field, a message or an error', () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: 'debug', secrets: [TOKEN, 'xoxb-123-456-secretsecret'] }, stream);
    log.info({ token: TOKEN, config: { DISCORD_TOKEN: TOKEN } }, 'starting');
    log.info(`connecting with ${TOKEN}`);
    log.error({ err: new Error(`401 for Bot ${TOKEN}`) }, 'failed');
    log.warn({ headers: { authorization: `Bot ${TOKEN}` } }, 'request');
    log.info({ url: 'https://discord.com/api/webhooks/123/aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDpzZWNyZXQ' }, 'edit');
    log.info('slack said xoxb-123-456-secretsecret');
    const all = lines.join('');
    expect(lines.length).toBe(6);
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain('secretsecret');
    expect(all).not.toContain('aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDpzZWNyZXQ');
    expect(all).toContain('[redacted]');
    // Still useful: the rest of the message survives.
    expect(all).toContain('connecting with');
    expect(all).toContain('/webhooks/123/');
  });

  it('writes structured JSON lines at the configured level', () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: 'warn' }, stream);
    log.info('hidden');
    log.warn({ requestId: 'r-1' }, 'shown');
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry).toMatchObject({ msg: 'shown', requestId: 'r-1', level: 40 });
  });
});
