import { SearchContext } from '../../src/search/context';
import { parseSearch } from '../../src/search/parse';

const search = new SearchContext();
const parse = (type: string | undefined, q: string, strict = false) => parseSearch(search, type, [...new URLSearchParams(q)], { strict });

describe('parseSearch: parameter names are checked against the registry', () => {
  it.each(['family[$regex]=x', 'a.b=1', '$where=1', 'name.family=x', 'family[$ne]=', '__proto__=1', 'constructor=x', 'nonsense=1'])(
    'ignores and reports the unknown parameter %s',
    (q) => {
      const req = parse('Patient', q);
      expect(req.clauses).toEqual([]);
      expect(req.ignored.map((i) => i.name)).toEqual([q.split('=')[0]]);
    },
  );
  it.each(['family[$regex]=x', 'a.b=1', '$where=1', 'nonsense=1'])('rejects %s with 400 under handling=strict', (q) => {
    expect(() => parse('Patient', q, true)).toThrow(expect.objectContaining({ category: 'invalid' }));
  });
  it('keeps known parameters and reports only what it ignored', () => {
    const req = parse('Patient', 'family=smith&foo=bar&gender=male');
    expect(req.clauses.map((c) => c.param.code)).toEqual(['family', 'gender']);
    expect(req.applied).toEqual([
      ['family', 'smith'],
      ['gender', 'male'],
    ]);
    expect(req.ignored).toEqual([expect.objectContaining({ name: 'foo' })]);
  });
  it('reports parameters without an expression (_text, _content) as unsupported', () => {
    expect(parse('Patient', '_content=x').ignored[0].reason).toMatch(/not supported/);
  });
  it('an unknown modifier is a 400 even when not strict', () => {
    expect(() => parse('Patient', 'family:sounds-like=x')).toThrow(expect.objectContaining({ category: 'invalid' }));
  });
  it(':missing needs true or false', () => {
    expect(() => parse('Patient', 'family:missing=maybe')).toThrow(expect.objectContaining({ category: 'invalid' }));
    expect(parse('Patient', 'family:missing=true').clauses[0]).toMatchObject({ kind: 'missing', missing: true });
  });
  it('splits OR values on unescaped commas', () => {
    const req = parse('Patient', 'family=a\\,b,c');
    expect(req.clauses[0]).toMatchObject({ kind: 'value', values: ['a\\,b', 'c'] });
  });
});

describe('parseSearch: chains and _has', () => {
  it('parses a chain through a typed reference', () => {
    const c = parse('Observation', 'subject:Patient.name=peter').clauses[0];
    expect(c).toMatchObject({ kind: 'chain', param: { code: 'subject' }, inner: [{ type: 'Patient', clause: { kind: 'value' } }] });
  });
  it('an untyped chain covers every target type that has the parameter', () => {
    const c = parse('Observation', 'subject.name=peter').clauses[0];
    if (c.kind !== 'chain') throw new Error('expected a chain');
    expect(c.inner.map((i) => i.type).sort()).toEqual(['Location', 'Patient']);
  });
  it('parses chains several links deep', () => {
    const c = parse('Observation', 'encounter.subject:Patient.organization.name=acme').clauses[0];
    expect(c).toMatchObject({ kind: 'chain', inner: [{ type: 'Encounter', clause: { kind: 'chain' } }] });
  });
  it('limits chain depth', () => {
    expect(() => parse('Observation', 'subject:Patient.link:Patient.link:Patient.link:Patient.link:Patient.name=x')).toThrow(
      expect.objectContaining({ category: 'invalid' }),
    );
  });
  it('a chain through a non-reference parameter is unknown', () => {
    expect(parse('Patient', 'family.name=x').ignored).toHaveLength(1);
  });
  it('parses nested _has', () => {
    const c = parse('Patient', '_has:Observation:patient:_has:AuditEvent:entity:agent=x').clauses[0];
    expect(c).toMatchObject({ kind: 'has', type: 'Observation', inner: { kind: 'has', type: 'AuditEvent' } });
  });
  it('_has with a reference that cannot point to the searched type is a 400', () => {
    expect(() => parse('Practitioner', '_has:Observation:patient:code=1')).toThrow(expect.objectContaining({ category: 'invalid' }));
    expect(() => parse('Patient', '_has:Nope:patient:code=1')).toThrow(expect.objectContaining({ category: 'invalid' }));
  });
});

describe('parseSearch: result parameters', () => {
  it('parses _sort with several keys and descending ones', () => {
    expect(parse('Patient', '_sort=family,-birthdate,_id').sort.map((s) => [s.code, s.desc])).toEqual([
      ['family', false],
      ['birthdate', true],
      ['_id', false],
    ]);
  });
  it('reports an unknown sort key', () => {
    const req = parse('Patient', '_sort=nope,family');
    expect(req.sort.map((s) => s.code)).toEqual(['family']);
    expect(req.ignored).toHaveLength(1);
  });
  it.each(['_count=-1', '_count=abc', '_total=some', '_summary=maybe', '_elements=$where', '_include=Observation', '_include:deep=Observation:subject'])(
    'rejects %s with 400',
    (q) => expect(() => parse('Observation', q)).toThrow(expect.objectContaining({ category: 'invalid' })),
  );
  it('parses _include and _revinclude with :iterate and *', () => {
    const req = parse('Observation', '_include=Observation:subject:Patient&_include:iterate=Patient:general-practitioner&_revinclude=Provenance:target');
    expect(req.include).toEqual([
      expect.objectContaining({ sourceType: 'Observation', targetType: 'Patient', iterate: false }),
      expect.objectContaining({ sourceType: 'Patient', iterate: true }),
    ]);
    expect(req.revinclude).toEqual([expect.objectContaining({ sourceType: 'Provenance', iterate: false })]);
    expect(parse('Observation', '_include=*').include).toEqual([{ sourceType: '*', iterate: false }]);
  });
  it('system search: _type names the types, parameters must be common to them', () => {
    const req = parse(undefined, '_type=Patient,Observation&_id=1&family=x');
    expect(req.types).toEqual(['Patient', 'Observation']);
    expect(req.clauses.map((c) => c.param.code)).toEqual(['_id']);
    expect(req.ignored.map((i) => i.name)).toEqual(['family']);
    expect(() => parse(undefined, '_type=Patient,Bogus')).toThrow(expect.objectContaining({ category: 'invalid' }));
  });
  it('ignores _format and _pretty without reporting them', () => {
    expect(parse('Patient', '_format=json&_pretty=true').ignored).toEqual([]);
  });
});
