import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, Parameters, ParametersParameter, Resource } from 'fhir/r4';

/** What the test servers' `json` helper answers. */
export type JsonAnswer = { status: number; headers: Headers; body: any };
export interface Client {
  json(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<JsonAnswer>;
}

const ref = (id: string) => ({ reference: `Patient/${id}` });

/** A Patient with one identifier `urn:test:mrn|<id>`. */
export const patient = (id: string, family = `Family-${id}`) => ({
  resourceType: 'Patient',
  id,
  active: true,
  name: [{ family, given: ['Test'] }],
  identifier: [{ system: 'urn:test:mrn', value: `mrn-${id}` }],
});

/**
 * `n` resources of `patientId`'s record, with ids `<prefix>-<i>`, referencing the patient through many kinds of
 * element: search parameters and compartment links (subject, patient, asserter, performer.actor), elements no
 * search parameter covers (Observation.focus), an extension's valueReference, a contained resource, another
 * Patient's link, a Group member, a Basic's subject.
 */
export function record(patientId: string, n: number, prefix = patientId): Resource[] {
  const kinds: Array<(id: string) => Resource> = [
    (id) => ({ resourceType: 'Observation', id, status: 'final', code: { text: 'weight' }, subject: ref(patientId), focus: [ref(patientId)] }) as Resource,
    (id) =>
      ({
        resourceType: 'Observation',
        id,
        status: 'final',
        code: { text: 'note' },
        subject: ref(patientId),
        extension: [{ url: 'urn:test:about', valueReference: ref(patientId) }],
        contained: [{ resourceType: 'RelatedPerson', id: 'rp', patient: ref(patientId) }],
        performer: [{ reference: '#rp' }],
      }) as Resource,
    (id) => ({ resourceType: 'Encounter', id, status: 'finished', class: { code: 'AMB' }, subject: ref(patientId) }) as Resource,
    (id) => ({ resourceType: 'Condition', id, subject: ref(patientId), asserter: ref(patientId), code: { text: 'cond' } }) as Resource,
    (id) => ({ resourceType: 'Procedure', id, status: 'completed', subject: ref(patientId), performer: [{ actor: ref(patientId) }] }) as Resource,
    (id) => ({ resourceType: 'Basic', id, code: { text: 'b' }, subject: ref(patientId) }) as Resource,
  ];
  const out: Resource[] = [];
  for (let i = 0; i < n; i++) out.push(kinds[i % kinds.length](`${prefix}-${i}`));
  out.push({ resourceType: 'Patient', id: `${prefix}-twin`, link: [{ other: ref(patientId), type: 'seealso' }] } as Resource);
  out.push({ resourceType: 'Group', id: `${prefix}-group`, type: 'person', actual: true, member: [{ entity: ref(patientId) }] } as Resource);
  return out;
}

/** Stores resources by PUT in transactions of 200; fails the test on any refusal. */
export async function store(client: Client, resources: Resource[]): Promise<void> {
  for (let i = 0; i < resources.length; i += 200) {
    const entry = resources.slice(i, i + 200).map((r) => ({ resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } }));
    const res = await client.json('POST', '', { resourceType: 'Bundle', type: 'transaction', entry });
    if (res.status !== 200) throw new Error(`transaction: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
  }
}

/** Loads a Synthea transaction Bundle shipped in samples/ (no ../shared); returns `Type/id` of what it stored. */
export async function loadSample(client: Client, file: string): Promise<string[]> {
  const bundle = JSON.parse(fs.readFileSync(path.join(__dirname, '../../samples/synthea-bundles', file), 'utf8')) as Bundle;
  const res = await client.json('POST', '', bundle);
  if (res.status !== 200) throw new Error(`${file}: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
  return (res.body.entry as Array<{ response: { location: string } }>).map((e) => e.response.location.split('/_history/')[0]);
}

/** The Parameters of a merge or unmerge of `source` into `target` (by reference), plus `extra` parameters. */
export function mergeParameters(source: string, target: string, extra: ParametersParameter[] = []): Parameters {
  return {
    resourceType: 'Parameters',
    parameter: [
      { name: 'source-patient', valueReference: { reference: `Patient/${source}` } },
      { name: 'target-patient', valueReference: { reference: `Patient/${target}` } },
      ...extra,
    ],
  };
}

/** A named output parameter's resource. */
export function output(params: Parameters, name: string): any {
  return params.parameter?.find((p) => p.name === name)?.resource;
}

/** The current version of each `Type/id`, as the given client reads it. */
export async function readAll(client: Client, refs: string[]): Promise<Map<string, any>> {
  const out = new Map<string, any>();
  for (const r of refs) {
    const res = await client.json('GET', r);
    if (res.status !== 200) throw new Error(`GET ${r}: ${res.status}`);
    out.set(r, res.body);
  }
  return out;
}

/** A resource without its server meta: what must be equal before a merge and after its unmerge. */
export function content(resource: any): any {
  const { meta: _meta, ...rest } = resource;
  return rest;
}

/** Every reference string in a resource, in document order. */
export function references(resource: unknown): string[] {
  const out: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'reference' && typeof v === 'string') out.push(v);
        else visit(v);
      }
    }
  };
  visit(resource);
  return out;
}

/** `resource` with each reference to Patient/`from` (versioned or not) replaced by Patient/`to`: what a merge writes. */
export function moved(resource: any, from: string, to: string): any {
  const json = JSON.stringify(content(resource));
  return JSON.parse(json.replace(new RegExp(`"reference":"Patient/${from}(/_history/[^"]*)?"`, 'g'), `"reference":"Patient/${to}"`));
}
