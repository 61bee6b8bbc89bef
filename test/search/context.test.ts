import fs from 'node:fs';
import type { Observation } from 'fhir/r4';
import { SearchContext, buildSearchIndex, parseSearch, searchIndexSpecs, searchParametersFor } from '../../src/search';
import { profileFolder, searchParameter } from './helpers/profile-folder';

const observation = (reference: string): Observation => ({
  resourceType: 'Observation',
  status: 'final',
  code: { text: 'x' },
  subject: { reference },
});

const subjects = (search: SearchContext, reference: string) =>
  buildSearchIndex(search, observation(reference))
    .s.e.filter((e) => e.p === 'subject')
    .map((e) => e.v);

/** Two servers in one process (a bench, the loader, tests) each search with their own parameters and base URL. */
describe('search contexts of two servers in one process', () => {
  const dirs = ['alpha-name', 'beta-name'].map((code) => profileFolder({ [`${code}.json`]: searchParameter(code, 'Patient.name.family') }));
  const alpha = new SearchContext({ profilesDirs: [dirs[0]], baseUrl: 'http://alpha.test/fhir/' });
  const beta = new SearchContext({ profilesDirs: [dirs[1]], baseUrl: 'http://beta.test/fhir' });
  afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

  it("each has its own profile folders' parameters and not the other's", () => {
    expect(alpha.registry.param('Patient', 'alpha-name')?.url).toBe('http://example.org/SearchParameter/alpha-name');
    expect(alpha.registry.param('Patient', 'beta-name')).toBeUndefined();
    expect(beta.registry.param('Patient', 'beta-name')?.url).toBe('http://example.org/SearchParameter/beta-name');
    expect(beta.registry.param('Patient', 'alpha-name')).toBeUndefined();
    // Whichever was read first, the other is unchanged.
    expect(alpha.registry.param('Patient', 'beta-name')).toBeUndefined();
  });

  it('parses, indexes and lists in the CapabilityStatement only its own', () => {
    const strict = (search: SearchContext, q: string) => () => parseSearch(search, 'Patient', [...new URLSearchParams(q)], { strict: true });
    expect(strict(alpha, 'alpha-name=x')).not.toThrow();
    expect(strict(alpha, 'beta-name=x')).toThrow(expect.objectContaining({ category: 'invalid' }));
    expect(strict(beta, 'beta-name=x')).not.toThrow();
    expect(strict(beta, 'alpha-name=x')).toThrow(expect.objectContaining({ category: 'invalid' }));

    const patient = { resourceType: 'Patient' as const, id: 'p', name: [{ family: 'Smith' }] };
    const codes = (search: SearchContext) => buildSearchIndex(search, patient).s.e.map((e) => e.p);
    expect(codes(alpha)).toContain('alpha-name');
    expect(codes(alpha)).not.toContain('beta-name');
    expect(codes(beta)).toContain('beta-name');
    expect(codes(beta)).not.toContain('alpha-name');

    const names = (search: SearchContext) => searchParametersFor(search, 'Patient').map((p) => p.name);
    expect(names(alpha)).toContain('alpha-name');
    expect(names(alpha)).not.toContain('beta-name');
    expect(names(beta)).toContain('beta-name');
    expect(names(beta)).not.toContain('alpha-name');
    expect(searchIndexSpecs(alpha, 'Patient')).toEqual(searchIndexSpecs(beta, 'Patient'));
  });

  it("each stores references to its own base URL relative, and the other server's absolute", () => {
    expect(alpha.baseUrl).toBe('http://alpha.test/fhir');
    expect(subjects(alpha, 'http://alpha.test/fhir/Patient/1')).toEqual(['Patient/1']);
    expect(subjects(alpha, 'http://beta.test/fhir/Patient/1')).toEqual(['http://beta.test/fhir/Patient/1']);
    expect(subjects(beta, 'http://beta.test/fhir/Patient/1')).toEqual(['Patient/1']);
    expect(subjects(beta, 'http://alpha.test/fhir/Patient/1')).toEqual(['http://alpha.test/fhir/Patient/1']);
  });

  it('searches with its own base URL, learnt once the server listens when not configured', () => {
    const late = new SearchContext();
    const value = (search: SearchContext, url: string) => {
      const [clause] = parseSearch(search, 'Observation', [['subject', url]], { strict: true }).clauses;
      return clause.kind === 'value' ? clause.values : undefined;
    };
    expect(value(late, 'http://late.test/fhir/Patient/1')).toEqual([{ kind: 'refs', refs: ['http://late.test/fhir/Patient/1'] }]);
    late.listensAt('http://late.test/fhir');
    expect(value(late, 'http://late.test/fhir/Patient/1')).toEqual([{ kind: 'refs', refs: ['Patient/1'] }]);
    expect(value(alpha, 'http://late.test/fhir/Patient/1')).toEqual([{ kind: 'refs', refs: ['http://late.test/fhir/Patient/1'] }]);
  });
});
