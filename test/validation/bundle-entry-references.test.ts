import { expectOutcome, serverForThisFile } from '../router/support';

const server = serverForThisFile();

const ENTRY = 'urn:uuid:6f1c3a52-8d0e-4c1b-9a7e-0b2d4e6f8a10';
const OTHER = 'urn:uuid:6f1c3a52-8d0e-4c1b-9a7e-0b2d4e6f8a11';

/** A `urn:uuid:` reference names a Bundle entry's fullUrl: only a Bundle can resolve it. */
describe('urn:uuid references outside a Bundle', () => {
  it('refuses a Group posted on its own with urn:uuid members (as some Synthea exports ship it): 422', async () => {
    const group = { resourceType: 'Group', type: 'person', actual: true, member: [{ entity: { reference: ENTRY } }, { entity: { reference: OTHER } }] };
    const res = await server().json('POST', 'Group', group);
    expectOutcome(res, 422, 'not-found');
    const errors = res.body.issue.filter((i: { severity: string }) => i.severity === 'error');
    expect(errors.map((i: { expression: string[] }) => i.expression[0])).toEqual(['Group.member[0].entity.reference', 'Group.member[1].entity.reference']);
    expect(res.body.issue[0].diagnostics).toContain("names a Bundle entry's fullUrl");
  });

  it('refuses one in any resource, on update as on create: 422', async () => {
    const observation = { resourceType: 'Observation', id: 'obs-urn', status: 'final', code: { text: 'x' }, subject: { reference: ENTRY } };
    expectOutcome(await server().json('PUT', 'Observation/obs-urn', observation), 422, 'not-found');
  });

  it('keeps them inside a stored Bundle, where they name its entries', async () => {
    const document = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { fullUrl: ENTRY, resource: { resourceType: 'Patient', name: [{ family: 'Entry' }] } },
        { fullUrl: OTHER, resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: ENTRY } } },
      ],
    };
    expect((await server().json('POST', 'Bundle', document)).status).toBe(201);
  });

  it('resolves them in a transaction, which stores a Group with its members as Patient/id', async () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: ENTRY, resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        {
          fullUrl: OTHER,
          resource: { resourceType: 'Group', type: 'person', actual: true, member: [{ entity: { reference: ENTRY } }] },
          request: { method: 'POST', url: 'Group' },
        },
      ],
    };
    const res = await server().json('POST', '', bundle);
    expect(res.status).toBe(200);
    const group = await server().json('GET', res.body.entry[1].response.location.replace(/\/_history\/.*$/, ''));
    expect(group.body.member[0].entity.reference).toBe(res.body.entry[0].response.location.replace(/\/_history\/.*$/, ''));
  });
});
