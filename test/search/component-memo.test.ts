import { SearchContext } from '../../src/search/context';
import { buildSearchIndex } from '../../src/search/index-builder';
import { evaluatorFor } from '../../src/search/registry';
import { ComponentMemo } from '../../src/search/types/component-memo';
import { compositeType } from '../../src/search/types/composite';

const quantity = (value: number, code: string) => ({ value, unit: code, system: 'http://unitsofmeasure.org', code });
const coding = (code: string) => ({ coding: [{ system: 'http://loinc.org', code }] });

/** Blood pressure: components that share a code with nothing, and a value on the Observation itself. */
const observation = {
  resourceType: 'Observation',
  status: 'final',
  code: coding('85354-9'),
  valueQuantity: quantity(1, 'g'),
  component: [
    { code: coding('8480-6'), valueQuantity: quantity(120, 'mm[Hg]') },
    { code: coding('8462-4'), valueQuantity: quantity(80, 'mm[Hg]') },
  ],
};

describe('composite components shared within one buildSearchIndex call', () => {
  it('give every composite parameter the entries it gets on its own', () => {
    const search = new SearchContext();
    const stored = buildSearchIndex(search, observation as never).s.e;
    let composites = 0;
    for (const param of search.registry.params('Observation').filter((p) => p.type === 'composite')) {
      const alone = evaluatorFor(param)!(observation).flatMap((node) => compositeType.index(node, param, { search, memo: new ComponentMemo() }));
      expect({ param: param.code, entries: stored.filter((e) => e.p === param.code).map(({ p: _p, ...rest }) => rest) }).toEqual({
        param: param.code,
        entries: alone,
      });
      if (alone.length) composites++;
    }
    expect(composites).toBeGreaterThanOrEqual(3);
  });
});
