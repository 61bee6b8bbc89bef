import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { startServer } from '../../src/server';
import { defaultServices } from '../../src/services';

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

async function canListen(port: number, host: string): Promise<boolean> {
  const srv = net.createServer();
  return new Promise((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

describe('a refused start-up', () => {
  it('rejects a non-loopback HOST without auth configuration and leaves no port or data-dir lock behind', async () => {
    const port = await freePort();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhirstone-refuse-'));
    const env = { HOST: '0.0.0.0', PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
    const config = loadConfig(env);
    await expect(startServer(config, await defaultServices(config, env), { logger: pino({ level: 'silent' }) })).rejects.toThrow(/not a loopback address/);
    expect(await canListen(port, '0.0.0.0')).toBe(true);
    // The embedded engine's lock on DATA_DIR was released: a correctly configured server can open it now.
    const ok = loadConfig({ PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    const server = await startServer(ok, await defaultServices(ok, {}), { logger: pino({ level: 'silent' }) });
    await server.close();
  });
});
