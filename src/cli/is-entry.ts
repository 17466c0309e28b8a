import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Whether the module at `moduleUrl` is the script this process was started with (`tsx
 * src/cli/x.ts`, `node dist/cli/x.js`, with or without the extension), not an import of it.
 */
export function isEntry(moduleUrl: string): boolean {
  const script = process.argv[1];
  const bare = (file: string) => path.resolve(file).replace(/\.[cm]?[jt]s$/, '');
  return script !== undefined && bare(script) === bare(fileURLToPath(moduleUrl));
}
