import fs from 'node:fs';
import path from 'node:path';
import type { FhirResource, Resource } from 'fhir/r4';
import { SearchContext } from '../../src/search/context';
import { buildSearchIndex } from '../../src/search/index-builder';
import type { IndexEntry, SearchIndexDoc } from '../../src/search/types';

const search = new SearchContext();
const index = (r: FhirResource) => buildSearchIndex(search, r as Resource);
const entries = (s: SearchIndexDoc, p: string) => [...s.e, ...(s.r ?? [])].filter((e: IndexEntry) => e.p === p);

describe('buildSearchIndex: what is stored for search', () => {
  it('a Patient is in its own compartment', () => {
    expect(index({ resourceType: 'Patient', id: 'p1' }).c).toEqual(['Patient/p1']);
  });
  it('places a resource in the compartments of the patients its compartment parameters reference', () => {
    const { c } = index({
      resourceType: 'Observation',
      id: 'o',
      status: 'final',
      code: { text: 'x' },
      subject: { reference: 'Patient/a' },
      performer: [{ reference: 'Patient/b' }, { reference: 'Practitioner/x' }],
    });
    expect(c.sort()).toEqual(['Patient/a', 'Patient/b']);
  });
  it('resources outside the patient compartment have no compartments', () => {
    expect(index({ resourceType: 'Organization', id: 'o', name: 'x' }).c).toEqual([]);
  });
  it('normalises strings for search and keeps the exact text', () => {
    const { s } = index({ resourceType: 'Patient', id: 'p', name: [{ family: 'Ñúñez  García' }] });
    expect(entries(s, 'family')).toEqual([{ p: 'family', v: 'nunez garcia', x: 'Ñúñez  García' }]);
  });
  it('stores each distinct value once', () => {
    const { s } = index({ resourceType: 'Patient', id: 'p', name: [{ family: 'Doe' }, { family: 'Doe' }] });
    expect(entries(s, 'family')).toHaveLength(1);
  });
  it('keeps ascending and descending sort keys per parameter (lowest and highest value)', () => {
    const { s } = index({ resourceType: 'Patient', id: 'p', name: [{ given: ['Zoe', 'Amy'] }], birthDate: '1980' });
    expect(s.o.given).toEqual({ a: 'amy', d: 'zoe' });
    expect(s.o.birthdate).toEqual({ a: new Date('1980-01-01T00:00:00.000Z'), d: new Date('1980-12-31T23:59:59.999Z') });
  });
  it('keeps range entries (date, number, quantity) in s.r and the others in s.e', () => {
    const { s } = index({
      resourceType: 'Observation',
      id: 'o',
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
      effectiveDateTime: '2024-05-01',
      valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
    });
    expect(new Set(s.r!.map((e) => e.p))).toEqual(new Set(['date', 'value-quantity', 'combo-value-quantity']));
    expect(s.e.some((e) => e.lo !== undefined || e.hi !== undefined)).toBe(false);
    // A composite goes by its first component: code$quantity is found by its code.
    expect(s.e.map((e) => e.p)).toEqual(expect.arrayContaining(['code', 'status', 'combo-code', 'code-value-quantity']));
  });
  it("gives a code the system its element's required binding implies, at any depth and through data types", () => {
    const { s } = index({ resourceType: 'Patient', id: 'p', gender: 'other', address: [{ use: 'home' }] });
    expect(entries(s, 'gender')).toEqual([{ p: 'gender', v: 'other', sy: 'http://hl7.org/fhir/administrative-gender' }]);
    expect(entries(s, 'address-use')).toEqual([{ p: 'address-use', v: 'home', sy: 'http://hl7.org/fhir/address-use' }]);
    const doc = index({ resourceType: 'DocumentReference', id: 'd', status: 'current', content: [{ attachment: { contentType: 'text/plain' } }] });
    // Mime types cannot be enumerated, but their value set names one system.
    expect(entries(doc.s, 'contenttype')).toEqual([{ p: 'contenttype', v: 'text/plain', sy: 'urn:ietf:bcp:13' }]);
  });
  it('leaves a code without a system where its value set spans several and none has the code', () => {
    const { s } = index({ resourceType: 'Task', id: 't', status: 'draft', intent: 'not-an-intent' as 'order' });
    expect(entries(s, 'intent')).toEqual([{ p: 'intent', v: 'not-an-intent' }]);
    expect(entries(s, 'status')).toEqual([{ p: 'status', v: 'draft', sy: 'http://hl7.org/fhir/task-status' }]);
  });
  it('stores no s.r for a resource without range values', () => {
    expect(index({ resourceType: 'Patient', id: 'p', gender: 'female' }).s.r).toBeUndefined();
  });
  it('stores a period without end as open-ended', () => {
    const { s } = index({ resourceType: 'Encounter', id: 'e', status: 'in-progress', class: { code: 'IMP' }, period: { start: '2024-01-01' } });
    expect(entries(s, 'date')[0].hi!.valueOf()).toBe(8.64e15);
  });
  it('selects references by target type (`where(resolve() is Patient)`) without fetching anything', () => {
    const { s } = index({ resourceType: 'Observation', id: 'o', status: 'final', code: { text: 'x' }, subject: { reference: 'Group/g' } });
    expect(entries(s, 'subject')).toEqual([{ p: 'subject', v: 'Group/g' }]);
    expect(entries(s, 'patient')).toEqual([]);
  });
  it('indexes US Core parameters from the bundled definitions', () => {
    const { s } = index({
      resourceType: 'Patient',
      id: 'p',
      extension: [
        {
          url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-race',
          extension: [{ url: 'ombCategory', valueCoding: { system: 'urn:oid:2.16.840.1.113883.6.238', code: '2106-3' } }],
        },
      ],
    });
    expect(entries(s, 'race')).toEqual([{ p: 'race', v: '2106-3' }]);
  });
  it('skips malformed values instead of failing the write', () => {
    const { s } = index({ resourceType: 'Patient', id: 'p', birthDate: 'not-a-date', name: [{ family: 42 as unknown as string }] });
    expect(entries(s, 'birthdate')).toEqual([]);
    expect(entries(s, 'family')).toEqual([]);
  });
});

describe('buildSearchIndex on real data', () => {
  it('indexes every official R4 example without throwing', () => {
    const dir = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));
    const files = fs.readdirSync(dir).filter((f) => /^[A-Z][A-Za-z]+-.*\.json$/.test(f));
    let entries = 0;
    for (const f of files) {
      const resource = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Resource;
      if (!resource.resourceType) continue;
      entries += buildSearchIndex(search, resource).s.e.length;
    }
    expect(files.length).toBeGreaterThan(2000);
    expect(entries).toBeGreaterThan(files.length * 5);
  });
  it('tolerates wrongly-typed data', () => {
    const odd = {
      resourceType: 'Observation',
      id: 'o',
      status: 5,
      code: 'x',
      component: ['a', { code: 7, valueQuantity: 'high' }],
      subject: 'Patient/1',
      effectiveDateTime: {},
    };
    expect(() => buildSearchIndex(search, odd as unknown as Resource)).not.toThrow();
  });
});
