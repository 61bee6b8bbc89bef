import { validateOperation } from '../../src/validation';
import { bundled, condition, rejectionOf, US_CORE, usCorePatient } from './support';

const noRepository = {};
const params = (...parameter: unknown[]) => ({ resourceType: 'Parameters', parameter });

describe('$validate', () => {
  it('answers an OperationOutcome with one information issue for a valid resource', async () => {
    const out = await validateOperation(bundled, 'Patient', undefined, usCorePatient(), noRepository);
    expect(out.resourceType).toBe('OperationOutcome');
    expect(out.issue.every((i) => i.severity !== 'error')).toBe(true);
    expect(out.issue.length).toBeGreaterThan(0);
  });

  it('reports errors in the outcome instead of throwing', async () => {
    const out = await validateOperation(bundled, 'Patient', undefined, { resourceType: 'Patient', birthDate: '1985-02-30' }, noRepository);
    expect(out.issue).toContainEqual(expect.objectContaining({ severity: 'error', expression: ['Patient.birthDate'] }));
  });

  it('takes a Parameters body with resource and profile', async () => {
    const body = params({ name: 'resource', resource: condition() }, { name: 'profile', valueCanonical: `${US_CORE}us-core-condition-encounter-diagnosis` });
    const out = await validateOperation(bundled, 'Condition', undefined, body, noRepository);
    expect(out.issue).toContainEqual(expect.objectContaining({ severity: 'error', expression: ['Condition.category'] }));
  });

  it('checks references through the repository callback', async () => {
    const out = await validateOperation(bundled, 'Condition', undefined, condition(), {
      referenceExists: async () => false,
      storedTypes: () => true,
    });
    expect(out.issue).toContainEqual(expect.objectContaining({ code: 'not-found', expression: ['Condition.subject.reference'] }));
  });

  it('checks absolute references to this server like create does: http://<base>/Patient/nope does not exist', async () => {
    const body = condition({ subject: { reference: 'http://fhir.example.org/fhir/Patient/nope' } });
    const asked: string[] = [];
    const out = await validateOperation(bundled, 'Condition', undefined, body, {
      baseUrl: 'http://fhir.example.org/fhir',
      referenceExists: async (t, id) => (asked.push(`${t}/${id}`), false),
      storedTypes: () => true,
    });
    expect(asked).toEqual(['Patient/nope']);
    expect(out.issue).toContainEqual(expect.objectContaining({ code: 'not-found', expression: ['Condition.subject.reference'] }));
    expect((body.subject as { reference: string }).reference).toBe('http://fhir.example.org/fhir/Patient/nope');
  });

  it('leaves absolute references to other servers unchecked', async () => {
    const body = condition({ subject: { reference: 'http://elsewhere.example.org/fhir/Patient/nope' } });
    const out = await validateOperation(bundled, 'Condition', undefined, body, {
      baseUrl: 'http://fhir.example.org/fhir',
      referenceExists: async () => false,
      storedTypes: () => true,
    });
    expect(out.issue.filter((i) => i.code === 'not-found')).toEqual([]);
  });

  it('on an instance, reports a body id different from the URL id and requires an id for mode=update', async () => {
    const p = { ...usCorePatient(), id: 'other' };
    const out = await validateOperation(bundled, 'Patient', 'p1', p, noRepository);
    expect(out.issue[0]).toMatchObject({ severity: 'error', expression: ['Patient.id'] });
    const update = await validateOperation(
      bundled,
      'Patient',
      undefined,
      params({ name: 'resource', resource: usCorePatient() }, { name: 'mode', valueCode: 'update' }),
      noRepository,
    );
    expect(update.issue).toContainEqual(expect.objectContaining({ severity: 'error', expression: ['Patient.id'] }));
  });

  it('mode=delete on an instance answers without needing a resource', async () => {
    const out = await validateOperation(bundled, 'Patient', 'p1', params({ name: 'mode', valueCode: 'delete' }), noRepository);
    expect(out.issue).toEqual([expect.objectContaining({ severity: 'information' })]);
    expect((await rejectionOf(validateOperation(bundled, 'Patient', undefined, params({ name: 'mode', valueCode: 'delete' }), noRepository))).category).toBe('invalid');
  });

  it('answers 400 to malformed requests', async () => {
    const cases: Array<[string, unknown]> = [
      ['no body', undefined],
      ['unknown mode', params({ name: 'mode', valueCode: 'destroy' }, { name: 'resource', resource: usCorePatient() })],
      ['unknown parameter', params({ name: 'colour', valueString: 'red' })],
      ['no resource', params({ name: 'mode', valueCode: 'create' })],
      ['another type', condition()],
    ];
    for (const [, body] of cases) expect((await rejectionOf(validateOperation(bundled, 'Patient', undefined, body, noRepository))).category).toBe('invalid');
  });

  it('validates a Parameters resource itself when it is the type being validated', async () => {
    const out = await validateOperation(bundled, 'Parameters', undefined, params({ name: 'x', valueString: '' }), noRepository);
    expect(out.issue).toContainEqual(expect.objectContaining({ severity: 'error', expression: ['Parameters.parameter[0].value.ofType(string)'] }));
  });
});
