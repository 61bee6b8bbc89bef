import { A, B, type Caller, type SecureServer, refsOf } from './support';
import { leaked, searchLeaks, startEscapeServer } from './escape-fixtures';

/**
 * Paths out of patient A's data by searching (docs/patient-access.md): searches on every kind of type, counts, system
 * searches, sorts, _include and _revinclude, chains, _has and compartment searches; the same probes with an unbound
 * token find B's data, so they are live.
 * Data, leak sets and helpers: escape-fixtures.ts.
 */
let server: SecureServer;
let patientA: Caller;

beforeAll(async () => {
  ({ server, patientA } = await startEscapeServer());
});
afterAll(() => server.close());

describe('searches on every kind of type', () => {
  it.each([
    'Device',
    `Device?patient=${B}`,
    'Device?identifier=serial-implant-b',
    'Device?_id=implant-b',
    'Device?manufacturer=implant-b',
    `GuidanceResponse?subject=Patient/${B}`,
    'GuidanceResponse',
    `Contract?patient=${A}`,
    `Contract?signer=Patient/${B}`,
    'Contract',
    `Group?member=Patient/${A}`,
    'Group',
    'Bundle',
    'Bundle?type=collection',
    'Linkage',
    `Linkage?item=Patient/${A}`,
    'MessageHeader',
    `MessageHeader?focus=Patient/${A}`,
    'VerificationResult',
    `VerificationResult?target=Patient/${A}`,
    'Binary',
    'Binary?_id=bin-doc-a,bin-doc-b',
    'Provenance',
    `Provenance?patient=${B}`,
    'DocumentReference',
    `Observation?_id=obs-b`,
  ])('finds nothing forbidden with %s', async (path) => expect(await searchLeaks(patientA, path)).toEqual([]));

  it("finds A's own Device, Contract and Group", async () => {
    expect(refsOf((await patientA.json('GET', 'Device')).body)).toEqual(['Device/implant-a']);
    expect(refsOf((await patientA.json('GET', 'Contract')).body)).toEqual(['Contract/contract-a']);
    expect(refsOf((await patientA.json('GET', 'Group')).body)).toEqual(['Group/group-a']);
  });

  it.each([
    'Device?identifier=serial-implant-b',
    `Device?patient=${B}`,
    'Bundle',
    'Linkage',
    'MessageHeader',
    'Binary',
    `Group?member=Patient/${B}`,
    `Contract?signer=Patient/${B}`,
  ])('counts nothing with %s (_summary=count and _total=accurate)', async (path) => {
    const sep = path.includes('?') ? '&' : '?';
    expect((await patientA.json('GET', `${path}${sep}_summary=count`)).body.total).toBe(0);
    expect((await patientA.json('GET', `${path}${sep}_total=accurate`)).body.total).toBe(0);
  });

  it('finds nothing forbidden in system-level searches over every type', async () => {
    const types = 'Device,Binary,Bundle,Linkage,Contract,Group,GuidanceResponse,MessageHeader,VerificationResult,Provenance,Patient,Condition';
    expect(await searchLeaks(patientA, `?_type=${types}&_count=1000`)).toEqual([]);
    expect(await searchLeaks(patientA, '?_count=1000')).toEqual([]);
    expect((await patientA.json('GET', `?_type=Bundle,Linkage,Binary&_summary=count`)).body.total).toBe(0);
  });

  it("sorts without revealing anything: a sort by a reference to B's data changes nothing", async () => {
    expect(await searchLeaks(patientA, 'Device?_sort=patient')).toEqual([]);
    expect(await searchLeaks(patientA, 'Observation?_sort=-device&_count=100')).toEqual([]);
  });
});

describe('_include and _revinclude', () => {
  it('includes none of the forbidden resources an own Observation and List reference, however it iterates', async () => {
    for (const path of [
      'Observation?_id=obs-a-links&_include=*',
      'Observation?_id=obs-a-links&_include=Observation:device&_include=Observation:focus&_include=Observation:derived-from',
      'Observation?_id=obs-a-links&_include=*&_include:iterate=*&_revinclude:iterate=*',
      'List?_id=list-a&_include=List:item&_include:iterate=*',
      'Condition?_include=Condition:encounter&_include:iterate=Encounter:patient&_revinclude:iterate=Device:patient',
      'Condition?_include=*&_include:iterate=*&_revinclude:iterate=*',
    ]) {
      expect({ path, leaked: await searchLeaks(patientA, path) }).toEqual({ path, leaked: [] });
    }
  });

  it("includes a Binary by its securityContext: the shared one, not B's", async () => {
    const res = await patientA.json('GET', 'List?_id=list-a&_include=List:item');
    expect(refsOf(res.body).sort()).toEqual(['Binary/bin-ctx-org', 'List/list-a']);
  });

  it("revincludes nothing hidden or naming B into A's Patient", async () => {
    for (const rev of [
      'Linkage:item',
      'Provenance:target',
      'Provenance:patient',
      'MessageHeader:focus',
      'VerificationResult:target',
      'Group:member',
      'Contract:patient',
      'Contract:signer',
      'Device:patient',
      'GuidanceResponse:subject',
      '*',
    ]) {
      const path = `Patient?_id=${A}&_revinclude=${rev}&_revinclude:iterate=*`;
      expect({ path, leaked: await searchLeaks(patientA, path) }).toEqual({ path, leaked: [] });
    }
    const own = await patientA.json('GET', `Patient?_id=${A}&_revinclude=Device:patient&_revinclude=Group:member&_revinclude=Contract:patient`);
    expect(refsOf(own.body).sort()).toEqual(['Contract/contract-a', 'Device/implant-a', 'Group/group-a', `Patient/${A}`]);
  });
});

describe('chains and _has', () => {
  it.each([
    'Observation?subject.name=Brown',
    'Observation?subject:Patient.name=Bravo',
    'Condition?encounter.patient.name=Brown',
    `Observation?device.patient=Patient/${B}`,
    'Observation?device:Device.identifier=serial-implant-b',
    'Observation?device.manufacturer=implant-b',
    'Device?patient.name=Brown',
    `Device?patient._id=${B}`,
    'List?item:Binary._id=bin-doc-b',
    'List?item:Bundle.type=collection',
    'List?item:Device.patient.name=Brown',
    'Observation?focus:Linkage._id=link-a',
    'Observation?focus:Bundle._id=document-b',
    `Patient?_has:Device:patient:_id=implant-b`,
    'Patient?_has:Device:patient:identifier=serial-implant-b',
    `Patient?_has:Linkage:item:_id=link-a`,
    `Patient?_has:Group:member:_id=group-ab`,
    `Patient?_has:Contract:patient:_id=contract-ab`,
    `Patient?_has:Contract:signer:_id=contract-ab`,
    `Patient?_has:MessageHeader:focus:_id=mh-a`,
    `Patient?_has:VerificationResult:target:_id=vr-a`,
    `Patient?_has:Provenance:target:_id=prov-b`,
    `Patient?_has:GuidanceResponse:subject:_id=gr-b`,
    'Condition?_has:Provenance:target:_id=prov-b',
    'Composition?_has:Bundle:composition:_id=document-b',
    'Patient?_has:Observation:subject:_has:List:item:_id=list-a',
  ])('finds nothing through %s', async (path) => {
    const res = await patientA.json('GET', path);
    expect({ path, status: res.status, refs: refsOf(res.body) }).toEqual({ path, status: 200, refs: [] });
  });

  it("finds A's own data through a Device chain or _has (baseline)", async () => {
    expect(refsOf((await patientA.json('GET', 'Device?patient.name=Alpha')).body)).toEqual(['Device/implant-a']);
    expect(refsOf((await patientA.json('GET', 'Patient?_has:Device:patient:_id=implant-a')).body)).toEqual([`Patient/${A}`]);
  });
});

describe('compartment searches', () => {
  it.each([
    `Patient/${B}/Condition`,
    `Patient/${B}/Device`,
    `Patient/${B}/*`,
    `Patient/${A}/Device`,
    `Patient/${A}/Binary`,
    `Patient/${A}/Bundle`,
    `Patient/${A}/Linkage`,
    `Patient/${A}/Group`,
    `Patient/${A}/Contract`,
    `Patient/${A}/*`,
  ])('returns nothing forbidden for %s', async (path) => {
    const res = await patientA.json('GET', path);
    if (res.status === 200) expect(leaked(res.body)).toEqual([]);
    else expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });
});

describe('the probes are live: an unbound system token finds B through the same paths', () => {
  it.each([
    ['Observation?subject.name=Brown', 'Observation/obs-b'],
    ['Observation?device:Device.identifier=serial-implant-b', 'Observation/obs-a-links'],
    ['List?item:Binary._id=bin-doc-b', 'List/list-a'],
    ['Patient?_has:Device:patient:_id=implant-b', `Patient/${B}`],
    ['Patient?_has:Linkage:item:_id=link-a', `Patient/${A}`],
    ['Observation?_id=obs-a-links&_include=Observation:device', 'Device/implant-b'],
    [`Patient?_id=${A}&_revinclude=Linkage:item`, 'Linkage/link-a'],
  ])('%s finds %s', async (path, ref) => {
    expect(refsOf((await server.system.json('GET', path)).body)).toContain(ref);
  });
});
