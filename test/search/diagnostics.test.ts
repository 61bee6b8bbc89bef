import { OTHER_PARAMETERS, SearchDiagnostics } from '../../src/search/diagnostics';

describe('SearchDiagnostics', () => {
  it('warns once per parameter and counts every failure', () => {
    const d = new SearchDiagnostics();
    const warnings: Array<Record<string, unknown>> = [];
    d.attach((details) => warnings.push(details));
    for (let i = 0; i < 3; i++) d.indexFailed('Observation', 'code-value-quantity', new Error('boom'));
    d.indexFailed('Patient', 'name', 'odd');
    expect(d.report().searchIndexErrors).toEqual({ 'Observation.code-value-quantity': 3, 'Patient.name': 1 });
    expect(warnings).toEqual([
      { parameter: 'Observation.code-value-quantity', error: 'boom' },
      { parameter: 'Patient.name', error: 'odd' },
    ]);
  });
  it('keeps warnings raised before a logger is attached, and writes them on attach', () => {
    const d = new SearchDiagnostics();
    d.indexFailed('Patient', 'name', new Error('early'));
    const warnings: unknown[] = [];
    d.attach((details) => warnings.push(details));
    expect(warnings).toEqual([{ parameter: 'Patient.name', error: 'early' }]);
  });
  it('names at most 100 parameters and counts the rest together', () => {
    const d = new SearchDiagnostics();
    for (let i = 0; i < 150; i++) d.indexFailed('Patient', `p${i}`, new Error('x'));
    const errors = d.report().searchIndexErrors;
    expect(Object.keys(errors)).toHaveLength(101);
    expect(errors[OTHER_PARAMETERS]).toBe(50);
  });
  it('lists at most 20 skipped definitions and counts them all', () => {
    const d = new SearchDiagnostics();
    d.definitionsSkipped(Array.from({ length: 30 }, (_, i) => ({ file: `f${i}.json`, reason: 'bad' })));
    const report = d.report();
    expect(report.skippedSearchParameters).toHaveLength(20);
    expect(report.skippedSearchParameterCount).toBe(30);
  });
});
