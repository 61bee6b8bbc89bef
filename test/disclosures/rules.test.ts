import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PURPOSE_OF_USE_CODES } from '../../src/auth/purpose-of-use';
import { DEFAULT_RULES, DISCLOSURE_CATEGORIES, decide, rulesFromEnv } from '../../src/disclosures/rules';
import defaults from '../../src/disclosures/accounting-rules.json';
import { tempDir } from '../auth/fixtures';

const at = new Date('2024-05-01T00:00:00Z');
const decision = (purposes: string[], categories: string[] = [], toIndividual = false, date = at) => decide(DEFAULT_RULES, { date, purposes, categories, toIndividual });

describe('the accounting rules (src/disclosures/accounting-rules.json)', () => {
  it('map every v3 PurposeOfUse code explicitly to a category', () => {
    expect(Object.keys(DEFAULT_RULES.purposes).sort()).toEqual([...PURPOSE_OF_USE_CODES].sort());
  });

  it.each([
    ['TREAT', 'treatment'],
    ['ETREAT', 'treatment'],
    ['HPAYMT', 'payment'],
    ['COVAUTH', 'payment'],
    ['HOPERAT', 'operations'],
    ['PATRQT', 'individual'],
    ['HDIRECT', 'directory'],
    ['FAMRQT', 'involved-in-care'],
    ['HMARKT', 'authorized'],
  ])('exclude %s as %s (164.528(a)(1))', (code, category) => {
    expect(decision([code])).toEqual({ category, accountable: false });
  });

  it.each([
    ['HLEGAL', 'judicial'],
    ['PUBHLTH', 'public-health'],
    ['HRESCH', 'research'],
    ['THREAT', 'serious-threat'],
    ['HDECD', 'decedents'],
  ])('list %s (%s), whatever its place in the v3 hierarchy', (code, category) => {
    expect(decision([code])).toEqual({ category, accountable: true });
  });

  it('exclude, by a named category, what no v3 code says: national security, custody, limited data sets, incidental ones', () => {
    for (const c of ['national-security', 'correctional', 'limited-data-set', 'incident', 'authorized'])
      expect(decision(['HRESCH'], [c])).toEqual({ category: c, accountable: false });
    expect(decision([], ['law-enforcement'])).toEqual({ category: 'law-enforcement', accountable: true });
  });

  it('exclude a disclosure to the individual, and one before the compliance date, whatever its purpose', () => {
    expect(decision(['HLEGAL'], [], true)).toEqual({ category: 'individual', accountable: false });
    expect(decision(['HLEGAL'], [], false, new Date('2003-04-13T00:00:00Z'))).toEqual({ category: 'before-compliance', accountable: false });
  });

  it('list a disclosure with no stated purpose, and one with any accountable purpose among excluded ones', () => {
    expect(decision([])).toEqual({ category: 'unknown', accountable: true });
    expect(decision(['TREAT', 'HLEGAL'])).toEqual({ category: 'judicial', accountable: true });
  });

  it('are replaced by DISCLOSURE_RULES_FILE, checked at start-up', () => {
    const dir = tempDir();
    const file = path.join(dir, 'rules.json');
    writeFileSync(file, JSON.stringify({ ...defaults, purposes: { ...defaults.purposes, HLEGAL: 'operations' } }));
    expect(decide(rulesFromEnv({ DISCLOSURE_RULES_FILE: file }), { date: at, purposes: ['HLEGAL'], categories: [], toIndividual: false }).accountable).toBe(false);
    const { TREAT: _dropped, ...missing } = defaults.purposes;
    writeFileSync(file, JSON.stringify({ ...defaults, purposes: missing }));
    expect(() => rulesFromEnv({ DISCLOSURE_RULES_FILE: file })).toThrow(/TREAT/);
    writeFileSync(file, JSON.stringify({ ...defaults, categories: { ...defaults.categories, gossip: { accountable: true, cite: 'x', display: 'x' } } }));
    expect(() => rulesFromEnv({ DISCLOSURE_RULES_FILE: file })).toThrow(/gossip/);
    expect(DISCLOSURE_CATEGORIES).toContain('limited-data-set');
  });
});
