import { downloadLines } from '../helpers/ndjson';
import { type Caller, put, refsOf, type SecureServer, startSecureServer } from '../security/support';
import { REVIEW_DATE, approveBody, coordinator, finish, hold, holdParameters, review, seedRecord } from './support';

/**
 * Certified destruction over HTTP: a review by one user, approval by another, and afterwards nothing of the
 * destroyed record answers (404, never 410), while shared resources stay without it, the certificate is kept
 * forever, and the audit trail still verifies.
 */
let server: SecureServer;
let alice: { token: string; caller: Caller };
let bob: { token: string; caller: Caller };
let reviewed: Awaited<ReturnType<typeof review>>;
let destroyed: { status: number; body: any };
let heldOld2: string;
let releasedHolds: string[];
let exportBefore: string;

beforeAll(async () => {
  // At most 4 resources per transaction: old-1's record of 6 goes in parts before its batch (large-records.ts).
  server = await startSecureServer({ BULK_EXPORT_POLL: '20ms', DESTRUCTION_BATCH: '2', DESTRUCTION_TRANSACTION_RESOURCES: '4' });
  const system = server.system;
  await seedRecord(system, 'old-1', 'Zebediah', '2004-03-01');
  await seedRecord(system, 'old-2', 'Quillon', '2003-05-01');
  await seedRecord(system, 'recent', 'Recent', '2020-01-01');
  // Three versions of old-1's Observation: the history goes too.
  await put(system, {
    resourceType: 'Observation',
    id: 'obs-old-1',
    status: 'amended',
    code: { text: 'glucose of Zebediah, v2' },
    subject: { reference: 'Patient/old-1' },
  });
  await put(system, {
    resourceType: 'Observation',
    id: 'obs-old-1',
    status: 'amended',
    code: { text: 'glucose of Zebediah, v3' },
    subject: { reference: 'Patient/old-1' },
  });
  // An attachment of old-1's record, found by its securityContext.
  await put(system, {
    resourceType: 'DocumentReference',
    id: 'doc-old-1',
    status: 'current',
    subject: { reference: 'Patient/old-1' },
    content: [{ attachment: { url: 'Binary/bin-old-1' } }],
  });
  await put(system, {
    resourceType: 'Binary',
    id: 'bin-old-1',
    contentType: 'text/plain',
    securityContext: { reference: 'DocumentReference/doc-old-1' },
    data: Buffer.from('letter to Zebediah').toString('base64'),
  });
  // Shared: a Group with old-1 and recent (two versions, both naming old-1); a Coverage where old-1 is only the subscriber.
  await put(system, { resourceType: 'Group', id: 'cohort', type: 'person', actual: true, member: [{ entity: { reference: 'Patient/old-1' } }] });
  await put(system, {
    resourceType: 'Group',
    id: 'cohort',
    type: 'person',
    actual: true,
    name: 'Zebediah household and friends',
    member: [{ entity: { reference: 'Patient/old-1' } }, { entity: { reference: 'Patient/recent' } }],
  });
  await put(system, {
    resourceType: 'Coverage',
    id: 'cov',
    status: 'active',
    subscriber: { reference: 'Patient/old-1', display: 'Zebediah' },
    beneficiary: { reference: 'Patient/recent' },
    payor: [{ display: 'Acme' }],
  });
  // Shared outside old-1's compartment, in its history only: recent's Observation named old-1 as its focus in version 1.
  const focused = { resourceType: 'Observation', id: 'obs-focus', status: 'final', code: { text: 'family history' }, subject: { reference: 'Patient/recent' } };
  await put(system, { ...focused, focus: [{ reference: 'Patient/old-1' }] });
  await put(system, focused);
  heldOld2 = await hold(system, 'old-2', 'M-2');
  // Holds placed on old-1 and released: on the record and on one of its resources. They go with it.
  releasedHolds = [await hold(system, 'old-1', 'M-OLD-1'), await hold(system, 'old-1', 'M-OLD-2', 'Observation/obs-old-1')];
  for (const [target, matter] of [
    ['Patient/old-1', 'M-OLD-1'],
    ['Observation/obs-old-1', 'M-OLD-2'],
  ]) {
    expect((await system.json('POST', `${target}/$release-hold`, holdParameters(matter, 'settled'))).status).toBe(200);
  }
  // A search naming the patient, recorded by the audit trail.
  expect((await system.json('GET', 'Patient?family=Zebediah')).body.total).toBe(1);
  // An export made before the destruction holds the record: it goes with it.
  const exported = await server.system.json('GET', 'Patient/$export', undefined, { prefer: 'respond-async' });
  exportBefore = exported.headers.get('content-location') as string;
  expect((await finish(server, server.system, exportBefore)).status).toBe(200);
  alice = await coordinator(server, 'alice');
  bob = await coordinator(server, 'bob');
  reviewed = await review(server, alice);
  const kick = await bob.caller.json('POST', '$destruction-approve', approveBody(reviewed.location));
  expect(kick.status).toBe(202);
  destroyed = await finish(server, bob.caller, kick.headers.get('content-location') as string);
  // Three records seeded, reviewed and destroyed in parts over HTTP: more than the default 30 s on 2 busy cores.
}, 120_000);
afterAll(() => server.close());

/** A review line's count part: `count` resources of `type`. */
const countOf = (type: string, count = 1) => ({
  name: 'count',
  part: [
    { name: 'type', valueCode: type },
    { name: 'count', valueInteger: count },
  ],
});

describe('the review', () => {
  it('lists the eligible records with rule, trigger date and counts per type, and names held ones apart', () => {
    expect(reviewed.output).toEqual([
      {
        resourceType: 'Parameters',
        parameter: [
          { name: 'patient', valueReference: { reference: 'Patient/old-1' } },
          { name: 'rule', valueId: 'adult' },
          { name: 'trigger-date', valueDate: '2004-03-01' },
          { name: 'destroy-after', valueDate: '2014-03-01' },
          ...['Basic', 'Binary', 'Condition', 'DocumentReference', 'Encounter', 'Observation', 'Patient'].map((t) => countOf(t, t === 'Basic' ? 2 : 1)),
        ],
      },
    ]);
    expect(reviewed.errors.map((e) => e.issue[0].diagnostics)).toEqual([`Patient/old-2 is eligible (rule adult) but held: ${heldOld2} (matter "M-2")`]);
  });
});

describe('after the destruction', () => {
  it('completes with a certificate', async () => {
    expect(destroyed.status).toBe(200);
    const lines = await downloadLines(destroyed.body.output, bob.token);
    expect(lines).toEqual([
      { resourceType: 'Parameters', parameter: [{ name: 'certificate', valueReference: { reference: expect.stringMatching(/^DocumentReference\/destruction-/) } }] },
    ]);
  });

  it.each([
    ['Patient/old-1'],
    ['Patient/old-1/_history/1'],
    ['Patient/old-1/_history'],
    ['Observation/obs-old-1'],
    ['Observation/obs-old-1/_history/2'],
    ['Observation/obs-old-1/_history'],
    ['Encounter/enc-old-1'],
    ['Binary/bin-old-1'],
    ['DocumentReference/doc-old-1'],
    ['Patient/old-1/$everything'],
  ])('GET %s answers 404, as for a resource that never existed', async (path) => {
    expect((await server.system.json('GET', path)).status).toBe(404);
  });

  it('leaves nothing for search, type history or export to find', async () => {
    expect((await server.system.json('GET', 'Patient?family=Zebediah')).body.total).toBe(0);
    expect((await server.system.json('GET', 'Observation?subject=Patient/old-1')).body.total).toBe(0);
    const history = await server.system.json('GET', 'Observation/_history?_count=100');
    expect(refsOf(history.body)).not.toContain('Observation/obs-old-1');
    expect(JSON.stringify(history.body)).not.toContain('old-1');
    const kick = await server.system.json('GET', '$export', undefined, { prefer: 'respond-async' });
    const done = await finish(server, server.system, kick.headers.get('content-location') as string);
    const token = await server.sign({ scope: 'system/*.*' });
    const exported = JSON.stringify(await downloadLines(done.body.output, token));
    expect(exported).not.toContain('old-1');
    expect(exported).not.toContain('Zebediah');
    expect(exported).toContain('Patient/recent');
  });

  it('takes the released holds of the record with it, and seals their matter and reason in the audit trail for good', async () => {
    for (const basic of releasedHolds) expect((await server.system.json('GET', basic)).status).toBe(404);
    const lifecycle = 'http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle';
    const events = (await server.system.json('GET', `AuditEvent?entity=${releasedHolds.join(',')}&subtype=${lifecycle}|hold,${lifecycle}|unhold`)).body.entry.map(
      (e: any) => e.resource,
    );
    expect(events).toHaveLength(4);
    for (const event of events) {
      expect(JSON.stringify(event)).not.toContain('M-OLD');
      const details = (await server.system.json('GET', `AuditEvent/${event.id}/$query-text`)).body.parameter.filter((p: any) => p.name === 'detail');
      expect(details.map((d: any) => d.part.slice(1))).toEqual([
        [
          { name: 'type', valueString: 'matter' },
          { name: 'shredded', valueBoolean: true },
        ],
        [
          { name: 'type', valueString: 'reason' },
          { name: 'shredded', valueBoolean: true },
        ],
      ]);
    }
  });

  it('removes the exports made before it that may hold the record, with their files', async () => {
    expect((await server.system.json('GET', exportBefore.slice(server.baseUrl.length + 1))).status).toBe(404);
  });

  it('keeps the other records: the held one and the one not yet due', async () => {
    expect((await server.system.json('GET', 'Patient/old-2')).status).toBe(200);
    expect((await server.system.json('GET', 'Patient/recent')).status).toBe(200);
  });

  it('keeps shared resources without the patient, in every version', async () => {
    const group = await server.system.json('GET', 'Group/cohort');
    expect(group.body.member).toEqual([{ entity: { reference: 'Patient/recent' } }]);
    // Its free text named the patient: redacted, in every version.
    expect(group.body.name).toBe('[redacted] household and friends');
    const versions = await server.system.json('GET', 'Group/cohort/_history');
    expect(versions.body.entry).toHaveLength(2);
    expect(JSON.stringify(versions.body)).not.toContain('old-1');
    expect(JSON.stringify(versions.body)).not.toContain('Zebediah');
    expect((await server.system.json('GET', 'Group?member=Patient/old-1')).body.total).toBe(0);
    const coverage = await server.system.json('GET', 'Coverage/cov');
    expect(coverage.body.subscriber).toBeUndefined();
    expect(coverage.body.beneficiary).toEqual({ reference: 'Patient/recent' });
  });

  it('removes the patient from past versions of shared resources that named it outside its compartment', async () => {
    const versions = await server.system.json('GET', 'Observation/obs-focus/_history');
    expect(versions.body.entry).toHaveLength(2);
    expect(JSON.stringify(versions.body)).not.toContain('old-1');
    expect((await server.system.json('GET', 'Observation/obs-focus')).body.subject).toEqual({ reference: 'Patient/recent' });
  });
});

describe('the certificate', () => {
  const certificate = async () => (await downloadLines(destroyed.body.output, bob.token))[0].parameter[0].valueReference.reference as string;

  it('is a DocumentReference with the PDF and the JSON, naming no patient', async () => {
    const ref = await certificate();
    const doc = (await server.system.json('GET', ref)).body;
    expect(doc.subject).toBeUndefined();
    expect(doc.content.map((c: any) => c.attachment.contentType)).toEqual(['application/pdf', 'application/json']);
    const pdf = await server.system.json('GET', doc.content[0].attachment.url);
    expect(Buffer.from(pdf.body.data, 'base64').subarray(0, 5).toString()).toBe('%PDF-');
    const json = JSON.parse(Buffer.from((await server.system.json('GET', doc.content[1].attachment.url)).body.data, 'base64').toString());
    expect(json).toMatchObject({
      review: { url: reviewed.location, date: REVIEW_DATE, requester: `${'https://issuer.test/realms/ehr'}|Practitioner/alice` },
      approval: { approver: `${'https://issuer.test/realms/ehr'}|Practitioner/bob` },
      records: [{ record: expect.any(String), rule: 'adult', triggerDate: '2004-03-01', destroyAfter: '2014-03-01' }],
      droppedOut: 0,
    });
    expect(json.records[0].counts).toEqual({ Basic: 2, Binary: 1, Condition: 1, DocumentReference: 1, Encounter: 1, Observation: 1, Patient: 1 });
    expect(json.totals.Observation).toEqual({ resources: 1, versions: 3, rewritten: 0, versionsRewritten: 1 });
    expect(json.totals.Group).toEqual({ resources: 0, versions: 0, rewritten: 1, versionsRewritten: 2 });
    expect(json.identities).toHaveLength(8);
    expect(JSON.stringify(json)).not.toContain('old-1');
  });

  it('answers whether a record or resource was destroyed, from its salted hashes', async () => {
    const check = async (identity: string) => (await server.system.json('GET', `$destruction-check?identity=${identity}`)).body.parameter;
    expect(await check('Patient/old-1')).toEqual([
      { name: 'destroyed', valueBoolean: true },
      { name: 'certificate', valueReference: { reference: await certificate() } },
    ]);
    expect((await check('Observation/obs-old-1'))[0].valueBoolean).toBe(true);
    expect(await check('Patient/recent')).toEqual([{ name: 'destroyed', valueBoolean: false }]);
  });

  it('is kept forever: neither it nor its attachments can be deleted or changed', async () => {
    const ref = await certificate();
    const del = await server.system.json('DELETE', ref);
    expect(del.status).toBe(409);
    expect(del.body.issue[0].diagnostics).toContain('kept forever');
    const doc = (await server.system.json('GET', ref)).body;
    expect((await server.system.json('PUT', ref, { ...doc, description: 'changed' })).status).toBe(409);
    expect((await server.system.json('DELETE', doc.content[1].attachment.url)).status).toBe(409);
  });
});

describe('the audit trail', () => {
  it('keeps the events about the destroyed record, records the destruction, and still verifies', async () => {
    let destroyEvents: any[] = [];
    for (let i = 0; i < 50 && destroyEvents.length === 0; i++) {
      destroyEvents = (await server.system.json('GET', 'AuditEvent?subtype=http://terminology.hl7.org/CodeSystem/iso-21089-lifecycle|destroy')).body.entry ?? [];
      if (destroyEvents.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(destroyEvents).toHaveLength(1);
    expect(destroyEvents[0].resource.entity.map((e: any) => e.what.reference ?? e.what.identifier.value)).toContain('Patient/old-1');
    expect((await server.system.json('GET', 'AuditEvent?patient=old-1&subtype=read')).body.total).toBeGreaterThan(0);
    // The searches naming the patient keep what was asked, not its values: the key that sealed them is shredded.
    const searches = (await server.system.json('GET', 'AuditEvent?patient=old-1&subtype=search&_count=100')).body.entry.map((e: any) => e.resource);
    const named = searches.filter((e: any) => e.entity.some((x: any) => x.description === 'Patient?family=…'));
    expect(named.length).toBeGreaterThan(0);
    for (const e of named) expect((await server.system.json('GET', `AuditEvent/${e.id}/$query-text`)).body.parameter).toEqual([{ name: 'shredded', valueBoolean: true }]);
    const trail = await server.system.json('GET', 'AuditEvent?_count=1000');
    expect(JSON.stringify(trail.body)).not.toContain('Zebediah');
    const verify = await server.system.json('GET', 'AuditEvent/$verify-chain');
    expect(verify.body.parameter.find((p: any) => p.name === 'intact').valueBoolean).toBe(true);
  });
});

describe('who may approve', () => {
  it('refuses the user who requested the review (two-person rule)', async () => {
    const again = await review(server, alice);
    const res = await alice.caller.json('POST', '$destruction-approve', approveBody(again.location));
    expect(res.status).toBe(403);
    expect(res.body.issue[0].diagnostics).toContain('two-person rule');
  });

  it('refuses a patient token, and a token without delete on every type', async () => {
    const again = await review(server, alice);
    const patient = await server.patient('recent', 'patient/*.*');
    expect((await patient.json('POST', '$destruction-approve', approveBody(again.location))).status).toBe(403);
    const reader = server.as(await server.sign({ scope: 'user/*.rs', fhirUser: 'Practitioner/carol' }));
    const res = await reader.json('POST', '$destruction-approve', approveBody(again.location));
    expect(res.status).toBe(403);
    expect(res.body.issue[0].diagnostics).toContain('delete');
  });

  it('lets a user who could approve read the review, and no one else but its requester', async () => {
    const again = await review(server, alice);
    const path = again.location.slice(server.baseUrl.length + 1);
    const seen = await bob.caller.json('GET', path);
    expect(seen.status).toBe(200);
    expect(await downloadLines(seen.body.output, bob.token)).toEqual(again.output);
    const reader = server.as(await server.sign({ scope: 'user/*.rs', fhirUser: 'Practitioner/carol' }));
    expect((await reader.json('GET', path)).status).toBe(403);
    expect((await (await server.patient('recent', 'patient/*.*')).json('GET', path)).status).toBe(403);
  });

  it('approves a review once', async () => {
    const res = await bob.caller.json('POST', '$destruction-approve', approveBody(reviewed.location));
    expect([404, 409]).toContain(res.status);
  });
});

describe('a record placed on hold or changed after the review', () => {
  it('drops out of the batch, and the job says why', async () => {
    await seedRecord(server.system, 'old-3', 'Changed', '2001-01-01');
    await seedRecord(server.system, 'old-4', 'Heldlater', '2001-01-01');
    await seedRecord(server.system, 'old-5', 'Goes', '2001-01-01');
    const listed = await review(server, alice);
    expect(listed.output.map((l) => l.parameter[0].valueReference.reference)).toEqual(['Patient/old-3', 'Patient/old-4', 'Patient/old-5']);
    await put(server.system, { resourceType: 'Condition', id: 'cond-old-3', subject: { reference: 'Patient/old-3' }, code: { text: 'asthma, revised' } });
    const held = await hold(server.system, 'old-4', 'M-4');
    const kick = await bob.caller.json('POST', '$destruction-approve', approveBody(listed.location));
    const done = await finish(server, bob.caller, kick.headers.get('content-location') as string);
    const lines = await downloadLines(done.body.output, bob.token);
    const dropped = lines.filter((l) => l.parameter[0].name === 'dropped').map((l) => [l.parameter[0].valueReference.reference, l.parameter[1].valueString]);
    expect(dropped.sort()).toEqual([
      ['Patient/old-3', 'changed after the review'],
      ['Patient/old-4', `on hold: ${held}`],
    ]);
    expect((await server.system.json('GET', 'Patient/old-3')).status).toBe(200);
    expect((await server.system.json('GET', 'Patient/old-4')).status).toBe(200);
    expect((await server.system.json('GET', 'Patient/old-5')).status).toBe(404);
  });
});
