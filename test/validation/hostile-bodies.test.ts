import { checkResource } from '../../src/validation';
import { bundled } from './support';

describe('structure validation of hostile bodies', () => {
  it('reports a body with 20,000 unknown elements as at most 100 listed errors plus a too-costly note', async () => {
    const body: Record<string, unknown> = { resourceType: 'Patient' };
    for (let i = 0; i < 20000; i++) body[`unknown${i}`] = i;
    const result = await checkResource(bundled, body);
    expect(result.structural).toBe(true);
    expect(result.issues.length).toBeLessThanOrEqual(101);
    expect(result.issues.at(-1)?.code).toBe('too-costly');
    expect(result.issues[0].expression?.[0]).toBe('Patient.unknown0');
  });
});
