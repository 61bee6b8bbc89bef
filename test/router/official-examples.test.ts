import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { serverForThisFile } from './support';

const FIRST_CLASS = ['Patient', 'Encounter', 'Condition', 'DocumentReference', 'AuditEvent'];

// Only the five types are served, so references to other types (Organization/1, Practitioner/f001) are not
// checked for existence; references among the five are, which is why the examples are seeded together below.
const server = serverForThisFile({ FHIR_RESOURCE_TYPES: FIRST_CLASS.join(',') });

const EXAMPLES = path.dirname(require.resolve('hl7.fhir.r4.examples/package.json'));

type Example = Record<string, any>;

/** The official R4 examples of one type (hl7.fhir.r4.examples 4.0.1), as [file, resource] pairs. */
function examplesOf(type: string): Array<[string, Example]> {
  return readdirSync(EXAMPLES)
    .filter((f) => f.startsWith(`${type}-`) && f.endsWith('.json'))
    .map((f) => [f, JSON.parse(readFileSync(path.join(EXAMPLES, f), 'utf8'))] as [string, Example])
    .filter(([, r]) => r.resourceType === type);
}

/** The resource without the meta fields the server owns (and without meta when nothing else was in it). */
function withoutServerMeta(resource: Example): Example {
  const { meta, ...rest } = resource;
  const { versionId: _v, lastUpdated: _l, ...others } = meta ?? {};
  return Object.keys(others).length ? { ...rest, meta: others } : rest;
}

const UPDATABLE = ['Patient', 'Encounter', 'Condition', 'DocumentReference'];

/**
 * The examples reference each other in cycles (Patient/pat1 <-> Patient/pat2, Encounter/f203 <-> Condition/f201)
 * and themselves, so no order of single PUTs satisfies reference checking: one transaction writes them all.
 */
beforeAll(async () => {
  const entry = UPDATABLE.flatMap((type) =>
    examplesOf(type).map(([, r]) => ({ fullUrl: `${type}/${r.id}`, resource: r, request: { method: 'PUT', url: `${type}/${r.id}` } })),
  );
  const res = await server().json('POST', '', { resourceType: 'Bundle', type: 'transaction', entry });
  if (res.status !== 200) throw new Error(`seeding the examples failed: ${res.status} ${JSON.stringify(res.body).slice(0, 2000)}`);
});

describe.each(UPDATABLE)('official R4 %s examples', (type) => {
  const examples = examplesOf(type);

  it('are present in the examples package', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it.each(examples)('%s is stored unchanged apart from meta, and round-trips through PUT and read', async (_file, example) => {
    const seeded = await server().json('GET', `${type}/${example.id}/_history/1`);
    expect(seeded.status).toBe(200);
    expect(withoutServerMeta(seeded.body)).toEqual(withoutServerMeta(example));

    const put = await server().json('PUT', `${type}/${example.id}`, example);
    expect([put.status, put.body?.issue]).toEqual([200, undefined]);
    const read = await server().json('GET', `${type}/${example.id}`);
    expect(read.status).toBe(200);
    expect(withoutServerMeta(read.body)).toEqual(withoutServerMeta(example));
    expect(read.body.meta.versionId).toBe('2');
  });
});

/**
 * The audit trail chains every stored AuditEvent with an extension of its own, and marks a posted one as submitted
 * (a meta.tag and an extension naming the client); the rest must be untouched.
 */
function withoutHashChain(resource: Example): Example {
  const extension = (resource.extension ?? []).filter((e: { url: string }) => !/\/audit-(hash-chain|submitted-by)$/.test(e.url));
  const { extension: _e, meta, ...rest } = resource;
  const tag = (meta?.tag ?? []).filter((t: { system?: string }) => !t.system?.endsWith('/audit-origin'));
  const { tag: _t, ...otherMeta } = meta ?? {};
  const keptMeta = tag.length ? { ...otherMeta, tag } : otherMeta;
  return { ...rest, ...(Object.keys(keptMeta).length ? { meta: keptMeta } : {}), ...(extension.length ? { extension } : {}) };
}

// AuditEvent is append-only (no update), so its examples are created with POST: the server assigns the id.
describe('official R4 AuditEvent examples', () => {
  const examples = examplesOf('AuditEvent');

  it('are present in the examples package', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it.each(examples)('%s round-trips through POST and read unchanged apart from id, meta and the hash chain', async (_file, example) => {
    const created = await server().json('POST', 'AuditEvent', example);
    expect([created.status, created.body?.issue]).toEqual([201, undefined]);
    const read = await server().json('GET', `AuditEvent/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body.extension.some((e: { url: string }) => e.url.endsWith('/audit-hash-chain'))).toBe(true);
    expect(withoutHashChain(withoutServerMeta({ ...read.body, id: example.id }))).toEqual(withoutServerMeta(example));
  });
});
