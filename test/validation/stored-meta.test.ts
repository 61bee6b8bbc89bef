import type { Resource } from 'fhir/r4';
import { withServerMeta } from '../../src/store/resource-text';
import { bundled, rejectionOf } from './support';
import { validateResource } from '../../src/validation';

/** Defence in depth: validation rejects a non-object meta, and the store never spreads one either. */
describe('meta that is not an object', () => {
  it('is rejected by validation with 400, naming Patient.meta', async () => {
    const err = await rejectionOf(validateResource(bundled, { resourceType: 'Patient', meta: 'x' }));
    expect(err.category).toBe('invalid');
    expect(err.issues).toContainEqual(expect.objectContaining({ severity: 'error', expression: ['Patient.meta'] }));
  });

  it.each([
    ['a string', 'x'],
    ['an array', ['a', 'b']],
    ['null', null],
  ])('given as %s is never spread into the stored meta', (_what, meta) => {
    const at = new Date('2024-01-02T03:04:05Z');
    const stored = withServerMeta({ resourceType: 'Patient', meta } as unknown as Resource, 'p1', 2, at);
    expect(stored.meta).toEqual({ versionId: '2', lastUpdated: '2024-01-02T03:04:05.000Z' });
  });

  it('keeps the client fields of an object meta, server fields overriding', () => {
    const at = new Date('2024-01-02T03:04:05Z');
    const stored = withServerMeta({ resourceType: 'Patient', meta: { profile: ['http://x/p'], versionId: '9' } }, 'p1', 1, at);
    expect(stored.meta).toEqual({ profile: ['http://x/p'], versionId: '1', lastUpdated: '2024-01-02T03:04:05.000Z' });
  });
});
