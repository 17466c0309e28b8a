/**
 * Every port the bot opens comes from a setting; when it cannot be opened, start-up ends with one
 * line naming that setting (not "listen EADDRINUSE :::8080").
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../config.js';

/** Listens on `port` (the value of `variable`) and resolves with the port bound. */
export async function listenOn(server: Server, port: number, variable: string, host?: string): Promise<number> {
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    throw portError(e, port, variable);
  }
  return (server.address() as AddressInfo).port;
}

function portError(e: unknown, port: number, variable: string): unknown {
  switch ((e as { code?: string }).code) {
    case 'EADDRINUSE':
      return new ConfigError(
        `Configuration error: ${variable}=${port} is already in use by another program; fix: stop that program or set ${variable} to a free port.`,
      );
    case 'EACCES':
      return new ConfigError(
        `Configuration error: ${variable}=${port} is a port this process may not open (below 1024 needs privileges); fix: set ${variable} to a port from 1024 up.`,
      );
    default:
      return e;
  }
}
