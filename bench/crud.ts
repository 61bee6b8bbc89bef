import type { Resource } from 'fhir/r4';
import type autocannon from 'autocannon';
import { hammer, type LoadResult } from './lib/load-gen';

/**
 * The CRUD mix of the public Health Samurai FHIR benchmark: each connection repeats create, read, update, delete
 * of one resource, rotating through Patient, Encounter and Condition, so a quarter of the requests are each
 * interaction. Latency percentiles are over all four.
 */

const JSON_HEADERS = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' };

function sample(type: string, n: number, patientId: string): Resource {
  switch (type) {
    case 'Patient':
      return { resourceType: 'Patient', name: [{ family: `Bench${n}`, given: ['Crud'] }], gender: 'female', birthDate: '1980-02-03' } as Resource;
    case 'Encounter':
      return {
        resourceType: 'Encounter',
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
        subject: { reference: `Patient/${patientId}` },
        period: { start: '2024-01-02T09:00:00Z', end: '2024-01-02T09:30:00Z' },
      } as Resource;
    default:
      return {
        resourceType: 'Condition',
        clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
        code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003', display: 'Hypertension' }] },
        subject: { reference: `Patient/${patientId}` },
      } as Resource;
  }
}

const TYPES = ['Patient', 'Encounter', 'Condition'];

export function crudRequests(basePath: string, patientId: string): autocannon.RequestSpec[] {
  let counter = 0;
  return [
    {
      method: 'POST',
      headers: JSON_HEADERS,
      setupRequest(req, ctx) {
        const n = counter++;
        const type = TYPES[n % TYPES.length];
        ctx.type = type;
        ctx.n = n;
        return { ...req, path: `${basePath}/${type}`, body: JSON.stringify(sample(type, n, patientId)) };
      },
      onResponse(status, body, ctx) {
        ctx.id = status === 201 ? (JSON.parse(body) as Resource).id : undefined;
      },
    },
    {
      method: 'GET',
      headers: { accept: 'application/fhir+json' },
      // No id (the create failed, already counted): start the cycle again.
      setupRequest: (req, ctx) => (ctx.id ? { ...req, path: `${basePath}/${ctx.type}/${ctx.id}` } : undefined),
    },
    {
      method: 'PUT',
      headers: JSON_HEADERS,
      setupRequest(req, ctx) {
        if (!ctx.id) return undefined;
        const resource = { ...sample(ctx.type as string, ctx.n as number, patientId), id: ctx.id } as Resource & { status?: string };
        if (resource.resourceType === 'Encounter') resource.status = 'cancelled';
        return { ...req, path: `${basePath}/${ctx.type}/${ctx.id}`, body: JSON.stringify(resource) };
      },
    },
    {
      method: 'DELETE',
      setupRequest: (req, ctx) => (ctx.id ? { ...req, path: `${basePath}/${ctx.type}/${ctx.id}` } : undefined),
    },
  ];
}

export interface CrudOptions {
  baseUrl: string;
  /** A stored Patient the Encounters and Conditions refer to (reference validation). */
  patientId: string;
  connections: number[];
  seconds: number;
}

export async function benchCrud(opts: CrudOptions): Promise<Record<string, LoadResult>> {
  const url = new URL(opts.baseUrl);
  const out: Record<string, LoadResult> = {};
  for (const connections of opts.connections) {
    out[`c${connections}`] = await hammer({
      url: url.origin,
      connections,
      duration: opts.seconds,
      requests: crudRequests(url.pathname.replace(/\/$/, ''), opts.patientId),
    });
  }
  return out;
}
