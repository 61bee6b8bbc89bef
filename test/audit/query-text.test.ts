import { randomBytes } from 'node:crypto';
import type { AuditEvent } from 'fhir/r4';
import { type QueryKeys, queryTextSealer, redactedQuery, unsealedQuery } from '../../src/audit/query-text';
import { markServerEvent } from '../../src/audit/origin';

/** Keys in memory: made on first use, `shred` leaves a tombstone as the key store does. */
function memoryKeys() {
  const stored = new Map<string, Buffer | undefined>();
  const keys: QueryKeys & { shred(owner: string): void } = {
    async keysFor(owners) {
      for (const o of owners) if (!stored.has(o)) stored.set(o, randomBytes(32));
      return keys.lookup(owners);
    },
    async lookup(owners) {
      return new Map(owners.filter((o) => stored.has(o)).map((o) => [o, stored.get(o)]));
    },
    shred: (owner) => void stored.set(owner, undefined),
  };
  return keys;
}

const search = (text: string, patients: string[]): AuditEvent =>
  markServerEvent({
    resourceType: 'AuditEvent',
    type: { code: 'rest' },
    recorded: '2025-01-01T00:00:00Z',
    agent: [],
    source: { observer: { display: 'test' } },
    entity: [
      ...patients.map((id) => ({ what: { reference: `Patient/${id}` }, role: { code: '1' } })),
      { role: { code: '24' }, description: text, query: Buffer.from(text).toString('base64') },
    ],
  });

describe('the query text of audit events', () => {
  it('is stored sealed under the keys of the patients named, with only the parameter names in clear', async () => {
    const keys = memoryKeys();
    const [sealed] = await queryTextSealer(keys)([search('Patient?family=Smith&_count=5', ['p1'])]);
    const query = sealed.entity!.find((e) => e.role?.code === '24')!;
    expect(query.description).toBe('Patient?family=…&_count=…');
    expect(JSON.stringify(sealed)).not.toContain('Smith');
    expect(await unsealedQuery(sealed, keys)).toBe('Patient?family=Smith&_count=5');
  });

  it('cannot be read once every key it was sealed under is shredded; one key left is enough', async () => {
    const keys = memoryKeys();
    const [one, two] = await queryTextSealer(keys)([search('Patient?family=Smith', ['p1']), search('Patient?family=Smith', ['p1', 'p2'])]);
    keys.shred('Patient/p1');
    expect(await unsealedQuery(one, keys)).toBe('shredded');
    expect(await unsealedQuery(two, keys)).toBe('Patient?family=Smith');
  });

  it('is not kept at all for an event written after its patients were destroyed', async () => {
    const keys = memoryKeys();
    await keys.keysFor(['Patient/p1']);
    keys.shred('Patient/p1');
    const [sealed] = await queryTextSealer(keys)([search('Patient?family=Smith', ['p1'])]);
    expect(sealed.entity!.find((e) => e.role?.code === '24')!.query).toBeUndefined();
    expect(await unsealedQuery(sealed, keys)).toBe('shredded');
  });

  it('names no value in its description', () => {
    expect(redactedQuery('Observation?code=http://loinc.org|1234-5&subject=Patient/x')).toBe('Observation?code=…&subject=…');
    expect(redactedQuery('Patient/x/$everything')).toBe('Patient/x/$everything');
  });
});
