import { checkResource, Conformance } from '../../src/validation';
import { expectOutcome, patient, rawRequest, serverForThisFile } from './support';

const server = serverForThisFile();

describe('ids made only of dots', () => {
  it.each(['.', '..', '...'])('refuses to create Patient/%s by PUT with a 400 OperationOutcome', async (id) => {
    expectOutcome(await rawRequest(server(), 'PUT', `Patient/${id}`, patient({ id })), 400);
  });

  it('refuses them in the body of a conditional update and of a transaction entry', async () => {
    expectOutcome(await server().json('PUT', 'Patient?identifier=urn:x|dots', patient({ id: '..' })), 400);
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: patient({ id: '..' }), request: { method: 'PUT', url: 'Patient/..' } }],
    };
    const res = await server().json('POST', '', bundle);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('dots');
  });

  it('reports an id of dots as a structural error wherever the id type occurs', async () => {
    const result = await checkResource(new Conformance(), { resourceType: 'Observation', id: '..', status: 'final', code: { text: 'x' } });
    expect(result.structural).toBe(true);
    expect(result.issues).toContainEqual(expect.objectContaining({ expression: ['Observation.id'], diagnostics: expect.stringContaining('dots') }));
  });

  it('still accepts ids with dots among other characters', async () => {
    expect((await rawRequest(server(), 'PUT', 'Patient/a.b..c', patient({ id: 'a.b..c' }))).status).toBe(201);
  });
});
