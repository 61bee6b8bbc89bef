import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config';
import { startServer, type RunningServer, type Services } from '../../src/server';
import { defaultServices } from '../../src/services';

export interface TestServer extends RunningServer {
  /** fetch relative to the FHIR base: `api('Patient/1')`. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** JSON request helper: sends `body` as application/fhir+json, returns status, headers and parsed body. */
  json<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; headers: Headers; body: T }>;
}

/**
 * Starts the real server on a free loopback port. Against the embedded engine in memory by default; against
 * MongoDB when MONGODB_URI is set (each server then uses its own database so suites do not interfere).
 */
export async function startTestServer(env: Record<string, string> = {}, override?: (services: Services) => Services): Promise<TestServer> {
  const dbName = `test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    MONGODB_URI: process.env.MONGODB_URI ?? '',
    MONGODB_DB: dbName,
    // The server keeps its SMART signing key (and export files) under DATA_DIR: a fresh one per test server.
    DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'fhirstone-test-')),
    ...env,
  });
  let services = await defaultServices(config, { ...process.env, ...env });
  if (override) services = override(services);
  // A test that names DATA_DIR gets the engine on disk there, so a second server on it finds the first one's data.
  const server = await startServer(config, services, { inMemory: env.DATA_DIR === undefined, logger: pino({ level: 'silent' }) });
  const api = (path: string, init?: RequestInit) => fetch(`${server.baseUrl}/${path}`, init);
  const json = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await api(path, {
      method,
      headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json', ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    return { status: res.status, headers: res.headers, body: parsed as any };
  };
  return Object.assign(server, { api, json });
}
