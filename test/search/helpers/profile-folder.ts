import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A SearchParameter as a profile package ships it, defined at `http://example.org/SearchParameter/<code>`. */
export function searchParameter(code: string, expression: string, base = 'Patient', type = 'string') {
  return {
    resourceType: 'SearchParameter',
    url: `http://example.org/SearchParameter/${code}`,
    name: code,
    status: 'active',
    description: code,
    code,
    base: [base],
    type,
    expression,
  };
}

/** A fresh folder (as PROFILES_DIR names one) holding `files`: file name -> JSON body, or text written as is. */
export function profileFolder(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fhirstone-sp-'));
  for (const [name, body] of Object.entries(files)) {
    fs.writeFileSync(path.join(dir, name), typeof body === 'string' ? body : JSON.stringify(body));
  }
  return dir;
}
