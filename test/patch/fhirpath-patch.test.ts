import { expectOutcome, patient, put, serverForThisFile } from '../router/support';

const server = serverForThisFile();

type Part = Record<string, unknown> & { name: string };

/** One FHIRPath Patch operation (R4 2.4.1): `type`, `path` and the parts the type needs. */
function operation(type: string, path: string, parts: Part[] = []) {
  return { name: 'operation', part: [{ name: 'type', valueCode: type }, { name: 'path', valueString: path }, ...parts] };
}

const parameters = (...operations: ReturnType<typeof operation>[]) => ({ resourceType: 'Parameters', parameter: operations });

const fhirPathPatch = (id: string, body: unknown, headers: Record<string, string> = {}) => server().json('PATCH', `Patient/${id}`, body, headers);

const identifiers = (values: string[]) => values.map((value) => ({ system: 'urn:mrn', value }));
const values = (res: { body: any }) => (res.body.identifier ?? []).map((i: any) => i.value);

async function start(id: string): Promise<void> {
  await put(server(), patient({ id, identifier: identifiers(['a', 'b', 'c']) }));
}

describe('FHIRPath Patch (PATCH [type]/[id] with a Parameters body)', () => {
  it('add: sets a missing single-valued element (Patient.birthDate)', async () => {
    await start('fp-add');
    const res = await fhirPathPatch(
      'fp-add',
      parameters(
        operation('add', 'Patient', [
          { name: 'name', valueString: 'birthDate' },
          { name: 'value', valueDate: '1974-12-25' },
        ]),
      ),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ birthDate: '1974-12-25', meta: { versionId: '2' } });
  });

  it('add: appends to a repeating element, and creates the list when it is absent', async () => {
    await start('fp-add-list');
    const res = await fhirPathPatch(
      'fp-add-list',
      parameters(
        operation('add', 'Patient', [
          { name: 'name', valueString: 'identifier' },
          { name: 'value', valueIdentifier: { system: 'urn:mrn', value: 'd' } },
        ]),
        operation('add', 'Patient', [
          { name: 'name', valueString: 'telecom' },
          { name: 'value', valueContactPoint: { system: 'phone', value: '555' } },
        ]),
      ),
    );
    expect(values(res)).toEqual(['a', 'b', 'c', 'd']);
    expect(res.body.telecom).toEqual([{ system: 'phone', value: '555' }]);
  });

  it('add: builds an anonymous complex value from nested parts (Patient.contact)', async () => {
    await start('fp-add-parts');
    const res = await fhirPathPatch(
      'fp-add-parts',
      parameters(
        operation('add', 'Patient', [
          { name: 'name', valueString: 'contact' },
          {
            name: 'value',
            part: [
              { name: 'name', valueHumanName: { family: 'du Marché' } },
              { name: 'gender', valueCode: 'female' },
            ],
          },
        ]),
      ),
    );
    expect(res.body.contact).toEqual([{ name: { family: 'du Marché' }, gender: 'female' }]);
  });

  it('insert: puts a value into a list at the given index', async () => {
    await start('fp-insert');
    const res = await fhirPathPatch(
      'fp-insert',
      parameters(
        operation('insert', 'Patient.identifier', [
          { name: 'value', valueIdentifier: { value: 'first' } },
          { name: 'index', valueInteger: 0 },
        ]),
      ),
    );
    expect(values(res)).toEqual(['first', 'a', 'b', 'c']);
  });

  it('delete: removes the one element the path selects', async () => {
    await start('fp-delete');
    const res = await fhirPathPatch('fp-delete', parameters(operation('delete', 'Patient.identifier[1]'), operation('delete', 'Patient.gender')));
    expect(values(res)).toEqual(['a', 'c']);
    expect(res.body.gender).toBeUndefined();
  });

  it('delete: succeeds without change when the path selects nothing', async () => {
    await start('fp-delete-none');
    const res = await fhirPathPatch('fp-delete-none', parameters(operation('delete', 'Patient.maritalStatus')));
    expect(res.status).toBe(200);
    expect(values(res)).toEqual(['a', 'b', 'c']);
  });

  it('delete: filters with where() and removes the whole list when its last item goes', async () => {
    await start('fp-delete-where');
    const res = await fhirPathPatch(
      'fp-delete-where',
      parameters(
        operation('delete', "Patient.identifier.where(value = 'b')"),
        operation('delete', 'Patient.identifier[0]'),
        operation('delete', 'Patient.identifier[0]'),
      ),
    );
    expect(res.status).toBe(200);
    expect(res.body.identifier).toBeUndefined();
  });

  it('replace: replaces the value at the path', async () => {
    await start('fp-replace');
    const res = await fhirPathPatch(
      'fp-replace',
      parameters(
        operation('replace', 'Patient.gender', [{ name: 'value', valueCode: 'female' }]),
        operation('replace', 'Patient.identifier[2]', [{ name: 'value', valueIdentifier: { value: 'z' } }]),
      ),
    );
    expect(res.body.gender).toBe('female');
    expect(values(res)).toEqual(['a', 'b', 'z']);
  });

  it('move: moves a list item from source to destination', async () => {
    await start('fp-move');
    const res = await fhirPathPatch(
      'fp-move',
      parameters(
        operation('move', 'Patient.identifier', [
          { name: 'source', valueInteger: 2 },
          { name: 'destination', valueInteger: 0 },
        ]),
      ),
    );
    expect(values(res)).toEqual(['c', 'a', 'b']);
  });

  it('applies all operations or none: a failing later operation leaves the resource unchanged', async () => {
    await start('fp-atomic');
    const res = await fhirPathPatch(
      'fp-atomic',
      parameters(
        operation('replace', 'Patient.gender', [{ name: 'value', valueCode: 'female' }]),
        operation('replace', 'Patient.birthDate', [{ name: 'value', valueDate: '2000-01-01' }]),
      ),
    );
    expectOutcome(res, 422);
    const read = await server().json('GET', 'Patient/fp-atomic');
    expect([read.body.meta.versionId, read.body.gender]).toEqual(['1', 'male']);
  });

  it('returns 422 when replace, insert or move address something that is not there', async () => {
    await start('fp-422');
    const bad = [
      operation('replace', 'Patient.identifier', [{ name: 'value', valueIdentifier: { value: 'x' } }]),
      operation('insert', 'Patient.identifier', [
        { name: 'value', valueIdentifier: { value: 'x' } },
        { name: 'index', valueInteger: 9 },
      ]),
      operation('move', 'Patient.identifier', [
        { name: 'source', valueInteger: 0 },
        { name: 'destination', valueInteger: 3 },
      ]),
      operation('add', 'Patient', [
        { name: 'name', valueString: 'gender' },
        { name: 'value', valueCode: 'other' },
      ]),
    ];
    for (const op of bad) expectOutcome(await fhirPathPatch('fp-422', parameters(op)), 422);
  });

  it('returns 400 for a patch that is not a valid FHIRPath Patch', async () => {
    await start('fp-400');
    const bad = [
      parameters(),
      parameters(operation('explode', 'Patient')),
      parameters(operation('delete', 'Patient.identifier[')),
      parameters(operation('delete', '')),
      parameters(
        operation('add', 'Patient', [
          { name: 'name', valueString: 'not a name!' },
          { name: 'value', valueCode: 'x' },
        ]),
      ),
    ];
    for (const body of bad) expectOutcome(await fhirPathPatch('fp-400', body), 400);
    expect((await server().json('GET', 'Patient/fp-400')).body.meta.versionId).toBe('1');
  });

  it('refuses a patch that changes the id', async () => {
    await start('fp-id');
    const res = await fhirPathPatch('fp-id', parameters(operation('replace', 'Patient.id', [{ name: 'value', valueId: 'other' }])));
    expect([400, 422]).toContain(res.status);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('honours If-Match: 412 on a stale version', async () => {
    await start('fp-ifmatch');
    await start('fp-ifmatch');
    const body = parameters(operation('delete', 'Patient.gender'));
    expectOutcome(await fhirPathPatch('fp-ifmatch', body, { 'if-match': 'W/"1"' }), 412);
  });
});
