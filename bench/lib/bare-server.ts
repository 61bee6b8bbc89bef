import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

/**
 * The ceiling for the read-by-id bench: a bare node:http server answering every request with one response held in
 * memory (the same body and headers the FHIR server sent), run in its own process like the server.
 * Usage: node bare-server.js <port> <response.json: {headers, body}>
 */
if (require.main === module) {
  const [port, file] = process.argv.slice(2);
  const { headers, body } = JSON.parse(readFileSync(file, 'utf8')) as { headers: Record<string, string>; body: string };
  const payload = Buffer.from(body);
  createServer((req, res) => {
    req.resume();
    res.writeHead(200, { ...headers, 'content-length': payload.length });
    res.end(payload);
  }).listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
}
