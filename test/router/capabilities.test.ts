import { expectOutcome, serverForThisFile } from './support';

const server = serverForThisFile();

const statement = async () => {
  const res = await server().json('GET', 'metadata');
  expect(res.status).toBe(200);
  return res.body;
};
const resourceEntry = (cs: any, type: string) => cs.rest[0].resource.find((r: any) => r.type === type);

describe('GET [base]/metadata', () => {
  it('is a CapabilityStatement for FHIR 4.0.1 in server mode, speaking JSON', async () => {
    const cs = await statement();
    expect(cs).toMatchObject({ resourceType: 'CapabilityStatement', status: 'active', kind: 'instance', fhirVersion: '4.0.1' });
    expect(cs.format).toEqual(expect.arrayContaining(['application/fhir+json', 'application/json']));
    expect(cs.rest).toHaveLength(1);
    expect(cs.rest[0].mode).toBe('server');
    expect(cs.implementation.url).toBe(server().baseUrl);
  });

  it('lists every R4 resource type on a fresh server, before anything was written', async () => {
    const cs = await statement();
    expect(cs.rest[0].resource.length).toBeGreaterThanOrEqual(140);
    for (const type of ['Patient', 'Encounter', 'Condition', 'DocumentReference', 'AuditEvent', 'Observation']) {
      expect(resourceEntry(cs, type)).toBeDefined();
    }
  });

  it('lists for Patient every interaction the server implements, with versioning and conditional support', async () => {
    const patient = resourceEntry(await statement(), 'Patient');
    expect(patient.interaction.map((i: any) => i.code).sort()).toEqual(
      ['create', 'delete', 'history-instance', 'history-type', 'patch', 'read', 'search-type', 'update', 'vread'].sort(),
    );
    expect(patient).toMatchObject({
      versioning: 'versioned-update',
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalUpdate: true,
    });
    expect(['single', 'multiple']).toContain(patient.conditionalDelete);
  });

  it('does not claim update, patch or delete for the append-only AuditEvent', async () => {
    const audit = resourceEntry(await statement(), 'AuditEvent');
    const codes = audit.interaction.map((i: any) => i.code);
    expect(codes).toEqual(expect.arrayContaining(['create', 'read']));
    expect(codes).not.toContain('update');
    expect(codes).not.toContain('delete');
    expect(codes).not.toContain('patch');
    expect(audit).toMatchObject({ updateCreate: false, conditionalUpdate: false, conditionalDelete: 'not-supported' });
  });

  it('lists the system interactions: transaction, batch, history-system', async () => {
    const codes = (await statement()).rest[0].interaction.map((i: any) => i.code);
    expect(codes).toEqual(expect.arrayContaining(['transaction', 'batch', 'history-system']));
  });

  it('reports the patch formats the server accepts', async () => {
    expect((await statement()).patchFormat).toEqual(expect.arrayContaining(['application/json-patch+json']));
  });

  it('is read-only: POST to metadata is 405', async () => {
    expectOutcome(await server().json('POST', 'metadata', { resourceType: 'CapabilityStatement' }), 405);
  });
});

describe('operations in the CapabilityStatement', () => {
  it('declares $export with the Bulk Data canonical OperationDefinition of each level', async () => {
    const cs = await statement();
    const system = cs.rest[0].operation.find((o: any) => o.name === 'export');
    expect(system.definition).toBe('http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export');
    const patientOp = resourceEntry(cs, 'Patient').operation.find((o: any) => o.name === 'export');
    expect(patientOp.definition).toBe('http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export');
    const groupOp = resourceEntry(cs, 'Group').operation.find((o: any) => o.name === 'export');
    expect(groupOp.definition).toBe('http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export');
  });

  it('instantiates the Bulk Data server CapabilityStatement, as it offers $export', async () => {
    expect((await statement()).instantiates).toEqual(['http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data']);
  });
});
