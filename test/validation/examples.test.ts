import fs from 'node:fs';
import path from 'node:path';
import type { OperationOutcomeIssue } from 'fhir/r4';
import { checkResource } from '../../src/validation';
import { bundled, describeIssues } from './support';

/**
 * Real resources, not hand-made ones: every official R4 example of the five types the server focuses on, the US
 * Core 6.1.0 examples of its profiles (copied into fixtures/), and, when ../shared is present, the Synthea US Core
 * export, each against the profiles it declares.
 */

const TYPES = ['Patient', 'Encounter', 'Condition', 'DocumentReference', 'AuditEvent'];
const R4_EXAMPLES = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
const US_CORE_FIXTURES = path.join(__dirname, 'fixtures', 'us-core');
const SYNTHEA = path.resolve(__dirname, '../../../shared/data/synthea-uscore-ndjson');

/** Errors, and constraints the validator failed to evaluate: both mean the example was not fully validated. */
const problems = (issues: OperationOutcomeIssue[]) => issues.filter((i) => i.severity === 'error' || i.diagnostics?.includes('could not be evaluated'));

function files(dir: string, pattern: RegExp): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => pattern.test(f))
    .sort();
}

describe('official R4 examples (hl7.fhir.r4.examples)', () => {
  const examples = files(R4_EXAMPLES, new RegExp(`^(${TYPES.join('|')})-.*\\.json$`));

  it('has examples of each of the five types', () => {
    for (const t of TYPES) expect(examples.some((f) => f.startsWith(`${t}-`))).toBe(true);
    expect(examples.length).toBeGreaterThanOrEqual(50);
  });

  it.each(examples)('%s validates with no errors', async (file) => {
    const resource = JSON.parse(fs.readFileSync(path.join(R4_EXAMPLES, file), 'utf8'));
    expect(describeIssues(problems((await checkResource(bundled, resource)).issues))).toEqual([]);
  });
});

describe('US Core 6.1.0 examples against their profiles', () => {
  const examples = files(US_CORE_FIXTURES, /\.json$/);

  it.each(examples)('%s validates against its US Core profile with no errors', async (file) => {
    const resource = JSON.parse(fs.readFileSync(path.join(US_CORE_FIXTURES, file), 'utf8'));
    expect(resource.meta.profile[0]).toMatch(/^http:\/\/hl7\.org\/fhir\/us\/core\/StructureDefinition\//);
    expect(describeIssues(problems((await checkResource(bundled, resource)).issues))).toEqual([]);
  });
});

const hasSynthea = fs.existsSync(SYNTHEA);
(hasSynthea ? describe : describe.skip)('Synthea US Core export (../shared, when present)', () => {
  it.each(['Patient', 'Encounter', 'Condition', 'DocumentReference'])('every %s validates against the US Core profile it declares', async (type) => {
    const file = files(SYNTHEA, new RegExp(`^${type}\\.\\d+\\.ndjson$`))[0];
    const lines = fs.readFileSync(path.join(SYNTHEA, file), 'utf8').split('\n').filter(Boolean);
    const failures: string[] = [];
    for (const line of lines) {
      const resource = JSON.parse(line);
      expect(resource.meta.profile[0]).toContain('/us/core/');
      const bad = problems((await checkResource(bundled, resource)).issues);
      if (bad.length) failures.push(`${type}/${resource.id}: ${describeIssues(bad).join('; ')}`);
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(lines.length).toBeGreaterThan(0);
  });
});
