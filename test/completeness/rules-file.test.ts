import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import defaults from '../../src/completeness/default-rules.json';
import { completenessFromEnv } from '../../src/completeness';
import { SearchContext } from '../../src/search';
import { loadIcd10Cm } from '../../src/terminology/icd10cm';

/** Loads a rules document as DEFICIENCY_RULES_FILE would. */
function load(doc: unknown) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rules-'));
  const file = path.join(dir, 'rules.json');
  fs.writeFileSync(file, typeof doc === 'string' ? doc : JSON.stringify(doc));
  try {
    return completenessFromEnv({ DEFICIENCY_RULES_FILE: file }, new SearchContext(), () => loadIcd10Cm());
  } finally {
    fs.rmSync(dir, { recursive: true });
  }
}

const withRule = (change: (rule: any) => void) => {
  const doc = structuredClone(defaults) as any;
  change(doc.rules[0]);
  return doc;
};

describe('the deficiency rules file', () => {
  it('ships defaults with the five rules of issue 22', () => {
    expect(completenessFromEnv({}, new SearchContext(), () => loadIcd10Cm()).rules.map((r) => r.id)).toEqual([
      'discharge-summary',
      'history-and-physical',
      'document-authentication',
      'encounter-diagnosis',
      'patient-demographics',
    ]);
  });

  it('replaces them with DEFICIENCY_RULES_FILE, leaving out disabled rules', () => {
    const doc = structuredClone(defaults) as any;
    doc.rules[1].enabled = false;
    expect(load(doc).rules.map((r) => r.id)).not.toContain('history-and-physical');
  });

  it('stops start-up naming what is wrong', () => {
    expect(() => load('{')).toThrow(/DEFICIENCY_RULES_FILE .* cannot be read as JSON/);
    expect(() => load({ rules: [{ id: 'x' }] })).toThrow(/must have required property 'title'/);
    expect(() => load(withRule((r) => (r.deadline = '14 days')))).toThrow(/deadline must match pattern/);
    expect(() => load(withRule((r) => (r.scope.query = 'nonsense=1')))).toThrow(/discharge-summary scope.query: 'nonsense=1' is not a search on Encounter/);
    expect(() => load(withRule((r) => (r.condition.related.reference = 'author')))).toThrow(
      /DocumentReference has no reference parameter 'author' that can name Encounter resources/,
    );
    expect(() => load(withRule((r) => (r.task.owner = ['participant.individual('])))).toThrow(/task.owner: 'participant.individual\(' is not a FHIRPath expression/);
    expect(() => load({ ...defaults, timeZone: 'Mars/Olympus' })).toThrow(/'Mars\/Olympus' is not a known IANA time zone/);
    const twice = structuredClone(defaults) as any;
    twice.rules.push(twice.rules[0]);
    expect(() => load(twice)).toThrow(/rule id discharge-summary is listed twice/);
  });
});
