import { SmartAccessPolicy } from '../../src/auth/smart-policy';
import { startTestServer, type TestServer } from '../helpers/server';

const ICD = 'http://hl7.org/fhir/sid/icd-10-cm';

/** The value of one output parameter, and of each `property` by its code. */
const out = (body: any, name: string) => body.parameter.find((p: any) => p.name === name);
const properties = (body: any) => {
  const props: Record<string, unknown[]> = {};
  for (const p of body.parameter.filter((x: any) => x.name === 'property')) {
    const code = p.part.find((x: any) => x.name === 'code').valueCode;
    const value = p.part.find((x: any) => x.name === 'value');
    (props[code] ??= []).push(value.valueBoolean ?? value.valueCode ?? value.valueInteger);
  }
  return props;
};

describe('CodeSystem/$lookup (ICD-10-CM)', () => {
  let server: TestServer;
  const lookup = (query: string) => server.json('GET', `CodeSystem/$lookup?system=${encodeURIComponent(ICD)}&${query}`);

  beforeAll(async () => {
    server = await startTestServer({}, (services) => ({
      ...services,
      authenticate: async (header) => {
        if (header === 'Bearer condition-only') return new SmartAccessPolicy({ scope: 'patient/Condition.read', patient: 'p1' });
        return services.authenticate!(header);
      },
    }));
  });
  afterAll(() => server.close());

  it('gives the display, the short description and the properties of the code set in force on the date', async () => {
    const { status, body } = await lookup('code=E11.9&date=2025-06-01');
    expect(status).toBe(200);
    expect(body.resourceType).toBe('Parameters');
    expect(out(body, 'name').valueString).toBe('ICD-10-CM');
    expect(out(body, 'version').valueString).toBe('2025');
    expect(out(body, 'display').valueString).toBe('Type 2 diabetes mellitus without complications');
    expect(out(body, 'designation').part).toContainEqual({ name: 'value', valueString: 'Type 2 diabetes mellitus without complications' });
    expect(properties(body)).toEqual({ abstract: [false], billable: [true], 'in-force': [true], parent: ['E11'], 'fiscal-year': [2024, 2025, 2026] });
    expect(out(body, 'message')).toBeUndefined();
  });

  it('B88.0: billable in FY2025, a header (abstract) from October 1 2025', async () => {
    expect(properties((await lookup('code=B88.0&date=2025-09-30')).body)).toMatchObject({ abstract: [false], billable: [true] });
    const { body } = await lookup('code=B88.0&date=2025-10-01');
    expect(out(body, 'version').valueString).toBe('2026');
    expect(properties(body)).toMatchObject({ abstract: [true], billable: [false], 'in-force': [true] });
  });

  it('E11.A: known, not in force before October 1 2025, and the message says in which years it is', async () => {
    const { status, body } = await lookup('code=E11.A&date=2025-09-30');
    expect(status).toBe(200);
    expect(properties(body)).toMatchObject({ 'in-force': [false], billable: [false], abstract: [false], 'fiscal-year': [2026] });
    expect(out(body, 'message').valueString).toContain('not in the code set of FY2025 (2024-10-01 to 2025-09-30), in force on 2025-09-30; it is in FY2026');
    expect(properties((await lookup('code=E11.A&date=2025-10-01')).body)).toMatchObject({ 'in-force': [true], billable: [true] });
  });

  it('takes a fiscal year as version, and a coding by POST', async () => {
    expect(out((await lookup('code=B88.0&version=2026')).body, 'version').valueString).toBe('2026');
    const { status, body } = await server.json('POST', 'CodeSystem/$lookup', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'coding', valueCoding: { system: ICD, code: 'B88.0' } },
        { name: 'date', valueDateTime: '2025-10-01T08:00:00-05:00' },
        { name: 'property', valueCode: 'abstract' },
      ],
    });
    expect(status).toBe(200);
    expect(properties(body)).toEqual({ abstract: [true] });
  });

  it('answers a date outside the loaded years from the nearest year, with an information message, not an error', async () => {
    const { status, body } = await lookup('code=E11.9&date=2031-03-01');
    expect(status).toBe(200);
    expect(out(body, 'version').valueString).toBe('2026');
    expect(out(body, 'message').valueString).toMatch(
      /, 2031-03-01, is outside the loaded ICD-10-CM code sets \(FY2024-FY2026\): E11\.9 was checked against the nearest, FY2026/,
    );
  });

  it('refuses a code written without its dot (400), saying how to write it', async () => {
    const { status, body } = await lookup('code=E119');
    expect(status).toBe(400);
    expect(body.resourceType).toBe('OperationOutcome');
    expect(body.issue[0].diagnostics).toBe("ICD-10-CM code 'E119' is written without its dot: write it as E11.9");
  });

  it('answers 404 for an unknown code, an unknown version and a system it does not know', async () => {
    expect((await lookup('code=E11.99')).status).toBe(404);
    const version = await lookup('code=E11.9&version=2019');
    expect(version.status).toBe(404);
    expect(version.body.issue[0].diagnostics).toContain('the fiscal years FY2024-FY2026');
    const other = await server.json('GET', 'CodeSystem/$lookup?system=http://snomed.info/sct&code=44054006');
    expect(other.status).toBe(404);
    expect(other.body.issue[0].diagnostics).toContain('http://snomed.info/sct is not known to CodeSystem/$lookup');
  });

  it('refuses malformed requests (400): no system, two codes, an unknown parameter, a bad date', async () => {
    expect((await server.json('GET', 'CodeSystem/$lookup?code=E11.9')).status).toBe(400);
    expect((await lookup('code=E11.9&code=I10')).status).toBe(400);
    expect((await lookup('code=E11.9&abstract=true')).status).toBe(400);
    const date = await lookup('code=E11.9&date=30/09/2025');
    expect(date.status).toBe(400);
    expect(date.body.issue[0].diagnostics).toContain('date must be a FHIR date or dateTime');
  });

  it('needs a grant on CodeSystem: a token for Conditions only is refused (403)', async () => {
    const { status } = await server.json('GET', `CodeSystem/$lookup?system=${ICD}&code=E11.9`, undefined, { authorization: 'Bearer condition-only' });
    expect(status).toBe(403);
  });
});
