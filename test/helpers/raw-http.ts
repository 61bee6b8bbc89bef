import http, { type IncomingHttpHeaders } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as it came over the wire: not decompressed (fetch would decode a gzip body unasked). */
  body: Buffer;
}

/**
 * A GET (or HEAD) whose body is kept byte for byte as sent. With `stopAfter`, the connection is cut once at least
 * that many body bytes have arrived, as a broken download would be, and what came so far is returned.
 */
export function rawGet(url: string, headers: Record<string, string> = {}, opts: { method?: string; stopAfter?: number } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      let received = 0;
      const done = () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        received += c.length;
        if (opts.stopAfter !== undefined && received >= opts.stopAfter) {
          res.destroy();
          done();
        }
      });
      res.on('end', done);
      res.on('error', (err) => (opts.stopAfter === undefined ? reject(err) : done()));
    });
    req.on('error', reject);
    req.end();
  });
}
