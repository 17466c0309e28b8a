/**
 * The child processes of a process, from Linux's /proc (empty elsewhere): the onnx runtime
 * computes in one, so a peak-memory figure that leaves them out undercounts a job.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ChildProcessInfo {
  pid: number;
  /** The command line, arguments joined by spaces. */
  command: string;
  /** Its resident set now (VmRSS) and its peak so far (VmHWM). */
  rssBytes: number;
  peakRssBytes: number;
}

/** This process's resident set plus its children's: what a job's memory costs the machine now. */
export function treeRssBytes(): number {
  return childProcesses().reduce((sum, c) => sum + c.rssBytes, process.memoryUsage().rss);
}

export function childProcesses(parent = process.pid): ChildProcessInfo[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  const found: ChildProcessInfo[] = [];
  for (const entry of entries) {
    try {
      // The command name in stat may hold spaces and parentheses: the fields after the last ')' are fixed.
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
      if (ppid !== parent) continue;
      const status = readFileSync(`/proc/${entry}/status`, 'utf8');
      const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
      found.push({ pid: Number(entry), command: readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim(), rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') });
    } catch {
      // It ended while we looked.
    }
  }
  return found;
}
