import fs from 'node:fs';
import path from 'node:path';
import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4';
import { splitUnion } from '../../src/search/expression';
import { compileMemberPaths } from '../../src/search/member-path';
import { SearchRegistry } from '../../src/search/registry';

const registry = new SearchRegistry();
const EXAMPLES = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));

interface Node {
  fhirNodeDataType?: string;
  data?: unknown;
}

/** What fhirpath.js returns, as comparable strings (decimals unwrapped). */
function reference(expression: string, resource: unknown): string[] {
  const nodes = fhirpath.evaluate(resource as object, expression, {}, r4Model, { resolveInternalTypes: false }) as Node[];
  return nodes.map((n) => {
    const value = n.data instanceof fhirpath.FP_Decimal ? n.data.toNumber() : n.data;
    return `${n.fhirNodeDataType}:${JSON.stringify(value)}`;
  });
}

describe('member paths evaluate exactly as fhirpath.js does', () => {
  // Up to three examples of each type keep the run short while covering every type's parameters.
  const perType = new Map<string, number>();
  const files = fs.readdirSync(EXAMPLES).filter((f) => {
    const type = /^([A-Z][A-Za-z]+)-.*\.json$/.exec(f)?.[1];
    if (!type || type === 'Bundle' || (perType.get(type) ?? 0) >= 3) return false;
    perType.set(type, (perType.get(type) ?? 0) + 1);
    return true;
  });
  const resources = files.map((f) => JSON.parse(fs.readFileSync(path.join(EXAMPLES, f), 'utf8')) as { resourceType: string });

  it('on every official R4 example, for every search parameter with a member-path expression', () => {
    let compared = 0;
    for (const resource of resources) {
      for (const param of registry.params(resource.resourceType)) {
        if (!param.expression) continue;
        const fast = compileMemberPaths(splitUnion(param.expression));
        if (!fast) continue;
        const ours = fast(resource).map((n) => `${n.type}:${JSON.stringify(n.value)}`);
        const theirs = reference(param.expression, resource);
        expect({ param: param.code, type: resource.resourceType, values: [...new Set(ours)].sort() }).toEqual({
          param: param.code,
          type: resource.resourceType,
          values: [...new Set(theirs)].sort(),
        });
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(2000);
  });
  it('leaves expressions with functions to fhirpath.js', () => {
    expect(compileMemberPaths(['Observation.subject.where(resolve() is Patient)'])).toBeUndefined();
    expect(compileMemberPaths(['Observation.value.ofType(Quantity)'])).toBeUndefined();
  });
});
