import { isReferable, referencesOf, SENT_CAPACITY, SentReferences } from '../../src/everything/referenced';

describe('which referenced resources $everything returns', () => {
  it('takes shared types and Binary, types of patient data (for resources of no patient), never hidden types', () => {
    expect(['Practitioner', 'Organization', 'Medication', 'Location', 'Binary', 'Device', 'Encounter'].filter(isReferable)).toHaveLength(7);
    expect(['Bundle', 'Linkage', 'MessageHeader'].filter(isReferable)).toEqual([]);
  });

  it('reads local references anywhere in a resource, absolute ones to this server and versioned ones as Type/id', () => {
    const resource = {
      resourceType: 'Observation',
      status: 'final',
      code: { text: 'x' },
      performer: [{ reference: 'https://fhir.test/fhir/Practitioner/p1' }, { reference: 'Organization/o1/_history/2' }],
      extension: [{ url: 'urn:x', valueReference: { reference: 'Location/l1' } }],
      focus: [{ reference: '#contained' }, { reference: 'https://elsewhere.test/Practitioner/p9' }, { reference: 'Bundle/b1' }],
    } as const;
    expect(referencesOf(resource as never, 'https://fhir.test/fhir').sort()).toEqual(['Location/l1', 'Organization/o1', 'Practitioner/p1']);
  });
});

describe('SentReferences (the page token state)', () => {
  it('survives encoding', () => {
    const sent = new SentReferences();
    sent.add('Practitioner/1');
    const again = new SentReferences(sent.encode());
    expect(again.has('Practitioner/1')).toBe(true);
    expect(again.has('Practitioner/2')).toBe(false);
  });

  it('forgets the least recently referenced beyond its capacity, keeping one referenced again', () => {
    const sent = new SentReferences();
    for (let i = 0; i < SENT_CAPACITY; i++) sent.add(`Practitioner/${i}`);
    sent.add('Practitioner/0');
    sent.add('Practitioner/new');
    const again = new SentReferences(sent.encode());
    expect(again.has('Practitioner/0')).toBe(true);
    expect(again.has('Practitioner/1')).toBe(false);
    expect(again.has('Practitioner/new')).toBe(true);
    expect(sent.encode().length).toBeLessThan(1400);
  });
});
