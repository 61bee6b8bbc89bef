import type { Resource } from 'fhir/r4';
import { request } from './fhir';

/** The answer of a finished job (the Bulk Data manifest): its NDJSON files, results and errors. */
export interface Manifest {
  transactionTime?: string;
  request?: string;
  output?: Array<{ type: string; url: string; count?: number }>;
  error?: Array<{ type: string; url: string; count?: number }>;
}

/** Every line of a manifest's result (or error) files, read through the API. */
export async function manifestLines<T extends Resource>(manifest: Manifest, which: 'output' | 'error' = 'output', type?: string): Promise<T[]> {
  const lines: T[] = [];
  for (const file of manifest[which] ?? []) {
    if (type && file.type !== type) continue;
    const text = await (await request(file.url, { headers: { accept: 'application/fhir+ndjson' } })).text();
    for (const line of text.split('\n').filter(Boolean)) lines.push(JSON.parse(line) as T);
  }
  return lines;
}
