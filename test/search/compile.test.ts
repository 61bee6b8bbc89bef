import { compileSimpleClause, MAX_SUBQUERY_IDS } from '../../src/search/compile';
import { parseSearch } from '../../src/search/parse';
import { compartmentPolicy, twoPatients } from './helpers/fixtures';
import { openTestDb, save, search, sortedMatchIds, testSearch, useTestDb, type TestDb } from './helpers/store';

describe('chained and reverse-chained search', () => {
  const db = useTestDb(twoPatients);
  const ids = async (type: string, q: string) => sortedMatchIds(await search(db().store, type, q));

  it('chains through a reference to the target type', async () => {
    expect(await ids('Observation', 'subject:Patient.name=alice')).toEqual(['obs-a']);
    expect(await ids('Observation', 'subject.family=beta')).toEqual(['obs-b', 'obs-b2']);
  });
  it('chains several links deep', async () => {
    expect(await ids('Observation', 'encounter.subject:Patient.given=bob')).toEqual(['obs-b']);
    expect(await ids('Observation', 'subject:Patient.organization.name=acme')).toEqual(['obs-a', 'obs-b', 'obs-b2']);
  });
  it('a chain that matches nothing matches nothing', async () => {
    expect(await ids('Observation', 'subject:Patient.name=zed')).toEqual([]);
  });
  it('_has finds resources referenced by matching resources', async () => {
    expect(await ids('Patient', '_has:Observation:patient:code=1234-5')).toEqual(['alice', 'bob']);
    expect(await ids('Patient', '_has:Observation:patient:code=9999-9')).toEqual(['bob']);
  });
  it('nested _has', async () => {
    expect(await ids('Patient', '_has:Observation:patient:_has:Provenance:target:agent=Practitioner/doc')).toEqual(['bob']);
  });
  it('_has combined with other criteria ANDs them', async () => {
    expect(await ids('Patient', '_has:Observation:patient:code=1234-5&family=alpha')).toEqual(['alice']);
  });

  describe('under a patient-compartment policy (alice)', () => {
    beforeEach(() => {
      db().store.policy = compartmentPolicy('alice');
    });
    it('a chain cannot find a resource by data of another patient', async () => {
      expect(await ids('Observation', 'subject:Patient.name=bob')).toEqual([]);
      expect(await ids('Encounter', 'subject.family=beta')).toEqual([]);
    });
    it('_has cannot reveal which patients have matching data', async () => {
      expect(await ids('Patient', '_has:Observation:patient:code=9999-9')).toEqual([]);
      expect(await ids('Patient', '_has:Observation:patient:code=1234-5')).toEqual(['alice']);
    });
    it('every subquery reached the store (where the policy is applied)', async () => {
      db().store.seen.length = 0;
      await ids('Observation', 'subject:Patient.organization.name=acme');
      expect(db().store.seen.map((s) => s.type)).toEqual(['Organization', 'Patient', 'Observation']);
    });
  });
});

describe('compiled filters never carry user input as operators', () => {
  const compile = (q: string) => {
    const req = parseSearch(testSearch, 'Patient', [...new URLSearchParams(q)], { strict: false });
    return JSON.stringify(req.clauses.map(compileSimpleClause));
  };
  it.each(['family=$gt', 'family={"$ne":1}', 'identifier=$where|1', 'birthdate=ge2020', 'family:contains=^.*$'])('%s', (q) => {
    const json = compile(q);
    const operators = [...json.matchAll(/"(\$[a-zA-Z]+)":/g)].map((m) => m[1]);
    expect(operators.every((op) => ['$elemMatch', '$gte', '$lt', '$lte', '$gt', '$regex', '$in', '$or'].includes(op))).toBe(true);
    expect(json).not.toContain('"$ne":1');
  });
  it(':contains escapes every regex metacharacter', () => {
    expect(compile('family:contains=a.b*c(d)[e]{f}|g^h$i\\j%2Bk?l/m')).toContain(
      JSON.stringify('a\\.b\\*c\\(d\\)\\[e\\]\\{f\\}\\|g\\^h\\$i\\\\j\\+k\\?l\\/m').slice(1, -1),
    );
  });
});

describe('subquery limits', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb();
    const patients = Array.from({ length: MAX_SUBQUERY_IDS + 1 }, (_, i) => ({
      resourceType: 'Patient' as const,
      id: `p${i}`,
      name: [{ family: 'Same' }],
    }));
    await save(t.db, ...patients);
  });
  afterAll(() => t.close());
  it(`a chain matching more than ${MAX_SUBQUERY_IDS} resources is a 400 too-costly`, async () => {
    await expect(search(t.store, 'Observation', 'subject:Patient.family=same')).rejects.toMatchObject({
      category: 'invalid',
      issues: [expect.objectContaining({ code: 'too-costly' })],
    });
  });
});
