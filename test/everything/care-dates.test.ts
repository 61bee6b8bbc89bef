import { careDateParams, datedTypes } from '../../src/everything/care-dates';
import { belongsToPatients } from '../../src/fhir/patient-access';
import { SearchContext } from '../../src/search';

/** src/everything/care-date-params.json names, per type, the date search parameters that date its care. */
describe('care-date-params.json', () => {
  const registry = new SearchContext({ profilesDirs: [] }).registry;

  it('names only date search parameters of each type', () => {
    const wrong = datedTypes().flatMap((type) =>
      careDateParams(type)
        .filter((code) => registry.param(type, code)?.type !== 'date')
        .map((code) => `${type}.${code}`),
    );
    expect(wrong).toEqual([]);
  });

  it('dates only types that belong to patients, and none by when the record changed', () => {
    expect(datedTypes().filter((t) => !belongsToPatients(t))).toEqual([]);
    expect(datedTypes().filter((t) => careDateParams(t).includes('_lastUpdated'))).toEqual([]);
  });

  it('dates a DocumentReference by its context period first, then its date', () => {
    expect(careDateParams('DocumentReference')).toEqual(['period', 'date']);
    expect(careDateParams('Patient')).toEqual([]);
  });
});
