/**
 * Health and metrics over HTTP: `GET /healthz` (JSON, 200 while serving; 503 while stopping, or
 * when the engine cannot make pictures) and
 * `GET /metrics` (Prometheus text: queue length, job durations, failures by kind).
 */
import http from 'node:http';
import { listenOn } from './listen.js';
import type { Metrics } from './ops/metrics.js';
import { hasBody, refuse } from './request-body.js';

export { createMetrics, type Metrics } from './ops/metrics.js';

export interface HealthReport {
  ok: boolean;
  [detail: string]: unknown;
}

export interface HttpServer {
  port: number;
  close(): Promise<void>;
}

export async function startHttpServer(opts: {
  port: number;
  host?: string;
  metrics: Metrics;
  health: () => HealthReport | Promise<HealthReport>;
}): Promise<HttpServer> {
  const server = http.createServer((req, res) => {
    // These endpoints take no body: refused before a byte of it is read.
    if (hasBody(req)) {
      refuse(res, 413, '/healthz and /metrics take no request body.');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      Promise.resolve(opts.health()).then(
        (report) => res.writeHead(report.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(report)),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
      );
      return;
    }
    if (path === '/metrics') {
      opts.metrics.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': opts.metrics.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found. Try /healthz or /metrics.\n');
  });
  const port = await listenOn(server, opts.port, 'HTTP_PORT', opts.host);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
