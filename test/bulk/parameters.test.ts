import { parseExportParameters } from '../../src/bulk/parameters';
import { OperationOutcomeError } from '../../src/errors/operation-outcome-error';

const parse = (pairs: Array<[string, string]>, opts: Partial<{ level: 'system' | 'patient' | 'group'; method: string; lenient: boolean }> = {}) =>
  parseExportParameters(pairs, { level: 'system', method: 'GET', lenient: false, ...opts });

const category = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return (err as OperationOutcomeError).category;
  }
  return 'none';
};

describe('$export kick-off parameters', () => {
  it('treats repeated _type values as one comma list, without repeats', () => {
    expect(
      parse([
        ['_type', 'Patient,Observation'],
        ['_type', 'Condition, Patient'],
      ]).types,
    ).toEqual(['Patient', 'Observation', 'Condition']);
  });

  it('accepts the three spellings of NDJSON for _outputFormat', () => {
    for (const f of ['application/fhir+ndjson', 'application/ndjson', 'ndjson']) expect(parse([['_outputFormat', f]]).outputFormat).toBe('application/fhir+ndjson');
  });

  it('parses _since as a FHIR instant, reads a date or dateTime without a zone as UTC, and rejects other text', () => {
    expect(parse([['_since', '2024-03-01T10:00:00+02:00']]).since?.toISOString()).toBe('2024-03-01T08:00:00.000Z');
    expect(parse([['_since', '2024-03-01T10:00:00']]).since?.toISOString()).toBe('2024-03-01T10:00:00.000Z');
    expect(parse([['_since', '2024-03-01']]).since?.toISOString()).toBe('2024-03-01T00:00:00.000Z');
    expect(category(() => parse([['_since', '1 March']]))).toBe('invalid');
    expect(category(() => parse([['_since', '2024-03']]))).toBe('invalid');
  });

  it('rejects _until before _since', () => {
    expect(
      category(() =>
        parse([
          ['_since', '2024-03-01T00:00:00Z'],
          ['_until', '2024-02-01T00:00:00Z'],
        ]),
      ),
    ).toBe('invalid');
  });

  it('splits _typeFilter only where another Type? begins, so a query may OR values with commas', () => {
    const p = parse([
      ['_typeFilter', 'Observation?code=a,b&status=final,Condition?clinical-status=active'],
      ['_typeFilter', 'Observation?_id=x'],
    ]);
    expect(p.typeFilters.get('Observation')).toEqual([
      [
        ['code', 'a,b'],
        ['status', 'final'],
      ],
      [['_id', 'x']],
    ]);
    expect(p.typeFilters.get('Condition')).toEqual([[['clinical-status', 'active']]]);
  });

  it('rejects a _typeFilter for a type that _type leaves out', () => {
    expect(
      category(() =>
        parse([
          ['_type', 'Patient'],
          ['_typeFilter', 'Observation?status=final'],
        ]),
      ),
    ).toBe('invalid');
  });

  it('takes patient references from a POST at Patient or Group level only', () => {
    expect(
      parse(
        [
          ['patient', 'Patient/1'],
          ['patient', 'http://x/fhir/Patient/2'],
        ],
        { level: 'group', method: 'POST' },
      ).patients,
    ).toEqual(['1', '2']);
    expect(category(() => parse([['patient', 'Patient/1']], { level: 'group', method: 'GET' }))).toBe('invalid');
    expect(category(() => parse([['patient', 'Observation/1']], { level: 'patient', method: 'POST' }))).toBe('invalid');
  });

  it('collects what it ignores under lenient handling', () => {
    const p = parse(
      [
        ['_count', '10'],
        ['includeAssociatedData', '_custom'],
      ],
      { lenient: true },
    );
    expect(p.warnings).toHaveLength(2);
  });

  it('accepts RelevantProvenanceResources at system level, where every Provenance is exported', () => {
    expect(parse([['includeAssociatedData', 'RelevantProvenanceResources']]).warnings).toEqual([]);
    expect(category(() => parse([['includeAssociatedData', 'RelevantProvenanceResources']], { level: 'patient' }))).toBe('invalid');
  });
});
