// HTTP with the path sent exactly as written (fetch would normalise `%ff`, `..` and `//`),
// for the boundary tests.
import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface RawRequest {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as it is; with `chunks`, that many copies of it, streamed (no Content-Length). */
  body?: string | Buffer;
  chunks?: number;
}

/** One request to `base` (http://host:port) for `path` byte for byte; resolves once the answer has arrived. */
export function rawRequest(base: string, path: string, options: RawRequest = {}): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    // The server may answer (413) and close before a large body is all sent: that is the point,
    // so a broken pipe fails the request only when no answer follows it.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') return reject(err);
      setTimeout(() => reject(new Error(`no answer before ${err.code}`)), 3000).unref();
    });
    if (options.body === undefined) return void req.end();
    if (!options.chunks) return void req.end(options.body);
    let sent = 0;
    const pump = () => {
      while (sent < options.chunks! && !req.destroyed) {
        sent++;
        if (!req.write(options.body!)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}
