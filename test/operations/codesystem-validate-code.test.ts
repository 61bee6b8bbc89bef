import { startTestServer, type TestServer } from '../helpers/server';

const ICD = 'http://hl7.org/fhir/sid/icd-10-cm';

const out = (body: any, name: string) => body.parameter.find((p: any) => p.name === name);
const result = (body: any) => out(body, 'result').valueBoolean;
const message = (body: any) => out(body, 'message')?.valueString;

describe('CodeSystem/$validate-code (ICD-10-CM)', () => {
  let server: TestServer;
  const validate = (query: string) => server.json('GET', `CodeSystem/$validate-code?url=${encodeURIComponent(ICD)}&${query}`);
  const post = (...parameter: unknown[]) => server.json('POST', 'CodeSystem/$validate-code', { resourceType: 'Parameters', parameter });

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('a billable code in force on the date is valid, with its display', async () => {
    const { status, body } = await validate('code=E11.9&date=2025-06-01');
    expect(status).toBe(200);
    expect(result(body)).toBe(true);
    expect(message(body)).toBeUndefined();
    expect(out(body, 'display').valueString).toBe('Type 2 diabetes mellitus without complications');
  });

  it('B88.0 is valid on September 30 2025, a header on October 1: false, saying so, unless abstract=true', async () => {
    expect(result((await validate('code=B88.0&date=2025-09-30')).body)).toBe(true);
    const header = (await validate('code=B88.0&date=2025-10-01')).body;
    expect(result(header)).toBe(false);
    expect(message(header)).toBe(
      'ICD-10-CM code B88.0 is a header (a category, abstract) in FY2026 (2025-10-01 to 2026-09-30), in force on 2025-10-01: not valid for HIPAA-covered transactions, use one of the billable codes below it',
    );
    const accepted = (await validate('code=B88.0&date=2025-10-01&abstract=true')).body;
    expect(result(accepted)).toBe(true);
  });

  it('E11.A is not valid before October 1 2025 (not yet in the code set), valid from then', async () => {
    const before = (await validate('code=E11.A&date=2025-09-30')).body;
    expect(result(before)).toBe(false);
    expect(message(before)).toContain('is not in the code set of FY2025 (2024-10-01 to 2025-09-30), in force on 2025-09-30; it is in FY2026');
    expect(result((await validate('code=E11.A&date=2025-10-01')).body)).toBe(true);
  });

  it('a category header is abstract; the billable codes below it are not', async () => {
    expect(result((await validate('code=E11&date=2025-06-01')).body)).toBe(false);
    expect(result((await validate('code=E11&date=2025-06-01&abstract=true')).body)).toBe(true);
    expect(result((await validate('code=I10&date=2025-06-01')).body)).toBe(true);
  });

  it('checks a display against the long and the short description, ignoring case and spacing', async () => {
    expect(result((await validate(`code=E11.9&date=2025-06-01&display=${encodeURIComponent('type 2 diabetes  mellitus without complications')}`)).body)).toBe(true);
    const wrong = (await validate(`code=E11.9&date=2025-06-01&display=Diabetes`)).body;
    expect(result(wrong)).toBe(false);
    expect(message(wrong)).toBe(
      "Wrong display 'Diabetes' for ICD-10-CM code E11.9: FY2025 (2024-10-01 to 2025-09-30) calls it 'Type 2 diabetes mellitus without complications'",
    );
  });

  it('an unknown code is false, not an error', async () => {
    const { status, body } = await validate('code=E11.99');
    expect(status).toBe(200);
    expect(result(body)).toBe(false);
    expect(message(body)).toContain("Unknown ICD-10-CM code 'E11.99'");
  });

  it('a date outside the loaded years is answered from the nearest, with an information message', async () => {
    const { status, body } = await validate('code=E11.9&date=2019-05-01');
    expect(status).toBe(200);
    expect(result(body)).toBe(true);
    expect(message(body)).toContain(', 2019-05-01, is outside the loaded ICD-10-CM code sets (FY2024-FY2026): E11.9 was checked against the nearest, FY2024');
  });

  it('refuses a code written without its dot (400)', async () => {
    const { status, body } = await validate('code=E119');
    expect(status).toBe(400);
    expect(body.issue[0].diagnostics).toContain('write it as E11.9');
  });

  it('takes a coding or a CodeableConcept by POST; one valid ICD-10-CM coding of a CodeableConcept is enough', async () => {
    const coding = await post({ name: 'coding', valueCoding: { system: ICD, code: 'B88.0', display: 'Other acariasis' } }, { name: 'date', valueDate: '2025-01-10' });
    expect(result(coding.body)).toBe(true);
    const concept = await post(
      {
        name: 'codeableConcept',
        valueCodeableConcept: {
          coding: [
            { system: 'http://snomed.info/sct', code: '44054006' },
            { system: ICD, code: 'E11' },
            { system: ICD, code: 'E11.9' },
          ],
        },
      },
      { name: 'date', valueDateTime: '2025-01-10T10:00:00Z' },
    );
    expect(concept.status).toBe(200);
    expect(result(concept.body)).toBe(true);
    const headerOnly = await post(
      { name: 'codeableConcept', valueCodeableConcept: { coding: [{ system: ICD, code: 'E11' }] } },
      { name: 'abstract', valueBoolean: false },
    );
    expect(result(headerOnly.body)).toBe(false);
  });

  it('takes system as another name of url; another system is 404', async () => {
    expect(result((await server.json('GET', `CodeSystem/$validate-code?system=${ICD}&code=E11.9&date=2025-06-01`)).body)).toBe(true);
    expect((await server.json('GET', 'CodeSystem/$validate-code?url=http://loinc.org&code=1234-5')).status).toBe(404);
  });

  it('is declared in the CapabilityStatement and readable as an OperationDefinition', async () => {
    const cs = await server.json('GET', 'metadata');
    const codeSystem = cs.body.rest[0].resource.find((r: any) => r.type === 'CodeSystem');
    expect(codeSystem.operation.map((o: any) => o.definition)).toEqual(
      expect.arrayContaining(['http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup', 'http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code']),
    );
    const def = await server.json('GET', 'OperationDefinition/CodeSystem-validate-code');
    expect(def.body).toMatchObject({ code: 'validate-code', type: true, instance: false });
  });
});
