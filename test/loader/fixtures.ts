import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Bundle, Resource } from 'fhir/r4';
import { runLoad } from '../../src/loader/command';

/** Runs the `fhirstone load` command in-process with `args`, capturing what it writes to stderr. */
export async function runLoadCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    return { code: await runLoad(args, env), stderr };
  } finally {
    spy.mockRestore();
    out.mockRestore();
  }
}

/** A fresh temporary folder for one test's input files. */
export async function tempDir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'fhirstone-loader-'));
}

export async function writeJson(dir: string, name: string, value: unknown): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, JSON.stringify(value));
  return file;
}

export async function writeLines(dir: string, name: string, lines: Array<string | Resource>): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return file;
}

/** A Synthea-shaped transaction: a Patient and `encounters` Encounters pointing at it through its urn:uuid. */
export function patientTransaction(family: string, encounters: number): Bundle {
  const patientUrl = `urn:uuid:${family.padEnd(8, '0').slice(0, 8)}-0000-4000-8000-000000000000`;
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: patientUrl, resource: { resourceType: 'Patient', name: [{ family }] } as Resource, request: { method: 'POST', url: 'Patient' } },
      ...Array.from({ length: encounters }, (_, i) => ({
        fullUrl: `urn:uuid:${family.padEnd(8, '0').slice(0, 8)}-0000-4000-8000-${String(i + 1).padStart(12, '0')}`,
        resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: patientUrl } } as Resource,
        request: { method: 'POST' as const, url: 'Encounter' },
      })),
    ],
  };
}

export function patient(id: string, family = 'Doe'): Resource {
  return { resourceType: 'Patient', id, name: [{ family }] } as Resource;
}
