/**
 * Where the in-process queue's jobs are answered, kept on disk while they run: that queue loses its
 * jobs with its process, so a process killed before it could tell their users (SIGKILL after
 * `docker stop`'s grace, a crash) leaves them here, and the next start tells them what became of
 * their pictures. The Redis queue keeps its jobs itself and needs no ledger.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ReplyTarget } from '../queue/port.js';

export interface LedgerEntry {
  jobId: string;
  requestId: string;
  reply: ReplyTarget;
}

export class JobLedger {
  readonly #entries = new Map<string, LedgerEntry>();

  /** The entries a process before this one left behind; read once, at start. */
  readonly leftBehind: LedgerEntry[];

  constructor(readonly file: string) {
    this.leftBehind = readEntries(file);
    this.#write();
  }

  add(entry: LedgerEntry): void {
    this.#entries.set(entry.jobId, entry);
    this.#write();
  }

  remove(jobId: string): void {
    if (this.#entries.delete(jobId)) this.#write();
  }

  /** Small and rare (a write per job start and end), so written at once and atomically. */
  #write(): void {
    try {
      if (this.#entries.size === 0) {
        rmSync(this.file, { force: true });
        return;
      }
      mkdirSync(path.dirname(this.file), { recursive: true });
      const temp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temp, JSON.stringify([...this.#entries.values()]));
      renameSync(temp, this.file);
    } catch {
      // A ledger that cannot be written costs only the notice after a crash, never a job.
    }
  }
}

function readEntries(file: string): LedgerEntry[] {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return Array.isArray(parsed) ? parsed.filter(isEntry) : [];
  } catch {
    return [];
  }
}

function isEntry(x: unknown): x is LedgerEntry {
  const e = x as Partial<LedgerEntry> | null;
  return typeof e?.jobId === 'string' && typeof e.requestId === 'string' && typeof e.reply?.platform === 'string' && typeof e.reply.data === 'object';
}
