import { expectOutcome, patient, put, serverForThisFile } from './support';

const server = serverForThisFile();

const SUBSETTED = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };

const full = patient({
  id: 'subset-1',
  meta: { tag: [{ system: 'urn:test', code: 'original' }] },
  text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Peter Chalmers</div>' },
  identifier: [{ system: 'urn:oid:1.2.36.146.595.217.0.1', value: '12345' }],
  birthDate: '1974-12-25',
  deceasedBoolean: false,
  maritalStatus: { text: 'Married' },
  contact: [{ name: { family: 'du Marché' } }],
  communication: [{ language: { text: 'Dutch' } }],
});

const read = (query: string) => server().json('GET', `Patient/subset-1?${query}`);
const tags = (body: any) => body.meta?.tag ?? [];

beforeAll(async () => {
  await put(server(), full);
});

describe('_summary on read', () => {
  it('_summary=true keeps only summary elements (e.g. name, birthDate, deceased[x]) and tags SUBSETTED', async () => {
    const res = await read('_summary=true');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['birthDate', 'deceasedBoolean', 'gender', 'id', 'identifier', 'meta', 'name', 'resourceType']);
    expect(tags(res.body)).toContainEqual(SUBSETTED);
    expect(tags(res.body)).toContainEqual({ system: 'urn:test', code: 'original' });
  });

  it('_summary=text keeps text, id, meta and mandatory elements only', async () => {
    const res = await read('_summary=text');
    expect(Object.keys(res.body).sort()).toEqual(['id', 'meta', 'resourceType', 'text']);
    expect(tags(res.body)).toContainEqual(SUBSETTED);
  });

  it('_summary=data removes the narrative and keeps everything else', async () => {
    const res = await read('_summary=data');
    expect(res.body.text).toBeUndefined();
    expect(res.body).toMatchObject({ maritalStatus: { text: 'Married' }, contact: full.contact, communication: full.communication });
    expect(tags(res.body)).toContainEqual(SUBSETTED);
  });

  it('_summary=false returns the full resource without a SUBSETTED tag', async () => {
    const res = await read('_summary=false');
    const plain = await server().json('GET', 'Patient/subset-1');
    expect(res.body).toEqual(plain.body);
    expect(tags(res.body)).not.toContainEqual(SUBSETTED);
  });

  it('refuses _summary=count with 400, since a read has nothing to count', async () => {
    expectOutcome(await read('_summary=count'), 400);
  });

  it('applies to vread too', async () => {
    const res = await server().json('GET', 'Patient/subset-1/_history/1?_summary=text');
    expect(Object.keys(res.body).sort()).toEqual(['id', 'meta', 'resourceType', 'text']);
  });

  it('does not change what is stored', async () => {
    await read('_summary=true');
    const plain = await server().json('GET', 'Patient/subset-1');
    expect(plain.body.contact).toEqual(full.contact);
    expect(tags(plain.body)).toEqual([{ system: 'urn:test', code: 'original' }]);
  });

  it('returns 400 for an unknown _summary value', async () => {
    expectOutcome(await read('_summary=maybe'), 400);
  });
});

describe('_elements on read', () => {
  it('keeps only the listed elements plus resourceType, id and meta, tagged SUBSETTED', async () => {
    const res = await read('_elements=birthDate,maritalStatus');
    expect(Object.keys(res.body).sort()).toEqual(['birthDate', 'id', 'maritalStatus', 'meta', 'resourceType']);
    expect(tags(res.body)).toContainEqual(SUBSETTED);
  });

  it('accepts names qualified with the resource type (Patient.birthDate)', async () => {
    const res = await read('_elements=Patient.birthDate');
    expect(res.body.birthDate).toBe('1974-12-25');
    expect(res.body.name).toBeUndefined();
  });

  it('selects a choice element by its base name (deceased for deceasedBoolean)', async () => {
    const res = await read('_elements=deceased');
    expect(res.body.deceasedBoolean).toBe(false);
  });

  it('also returns the mandatory elements of the type (Observation status and code)', async () => {
    await put(server(), {
      resourceType: 'Observation',
      id: 'subset-obs',
      status: 'final',
      code: { text: 'Heart rate' },
      subject: { reference: 'Patient/subset-1' },
      valueQuantity: { value: 60 },
    });
    const res = await server().json('GET', 'Observation/subset-obs?_elements=subject');
    expect(Object.keys(res.body).sort()).toEqual(['code', 'id', 'meta', 'resourceType', 'status', 'subject']);
  });

  it('does not mistake an element for a choice of another (Encounter.statusHistory is not status[x])', async () => {
    await put(server(), {
      resourceType: 'Encounter',
      id: 'subset-enc',
      status: 'finished',
      statusHistory: [{ status: 'arrived', period: { start: '2024-01-01' } }],
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      classHistory: [{ class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' }, period: { start: '2024-01-01' } }],
    });
    const res = await server().json('GET', 'Encounter/subset-enc?_elements=id');
    expect(Object.keys(res.body).sort()).toEqual(['class', 'id', 'meta', 'resourceType', 'status']);
    const text = await server().json('GET', 'Encounter/subset-enc?_summary=text');
    expect(Object.keys(text.body).sort()).toEqual(['class', 'id', 'meta', 'resourceType', 'status']);
  });

  it('returns 400 for an element name that cannot be one', async () => {
    expectOutcome(await read('_elements=name;drop'), 400);
    expectOutcome(await read(`_elements=${encodeURIComponent('$where')}`), 400);
  });
});
