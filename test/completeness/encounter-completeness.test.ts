import { startTestServer, type TestServer } from '../helpers/server';
import {
  DISCHARGE_SUMMARY,
  HISTORY_AND_PHYSICAL,
  daysAgo,
  deficiencies,
  document,
  encounter,
  hoursAgo,
  inZone,
  patient,
  practitioner,
  put,
  utcDateDaysAgo,
} from './charts';

const HOUR = 3_600_000;

describe('Encounter/$completeness: the deficiencies of one encounter, each rule on both sides of its deadline', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    await put(server, patient('p1'), practitioner('doc'), practitioner('attending'));
  });
  afterAll(() => server.close());

  describe('discharge summary (LOINC 18842-5) within 14 days of the end of an inpatient or emergency stay', () => {
    it('is deficient at once, with the deadline 14 days after the end, whatever offset the end was written in', async () => {
      const end = hoursAgo(14 * 24 - 1); // an hour before its deadline
      await put(server, encounter('ds-early', { patient: 'p1', start: inZone(daysAgo(20), '-05:00'), end: inZone(end, '-05:00'), performer: 'doc' }));
      const task = (await deficiencies(server, 'ds-early'))['discharge-summary'];
      expect(task.businessStatus.coding[0].code).toBe('deficient');
      expect(task.status).toBe('requested');
      expect(new Date(task.restriction.period.start).getTime()).toBe(Math.floor(end.getTime() / 1000) * 1000);
      expect(new Date(task.restriction.period.end).getTime() - new Date(task.restriction.period.start).getTime()).toBe(14 * 24 * HOUR);
      expect(task.focus.reference).toBe('Encounter/ds-early');
      expect(task.for.reference).toBe('Patient/p1');
      expect(task.owner.reference).toBe('Practitioner/doc');
      expect(task.description).toMatch(/no discharge summary/);
    });

    it('is delinquent an hour after the deadline, the end written in a zone east of UTC', async () => {
      await put(server, encounter('ds-late', { patient: 'p1', cls: 'EMER', start: inZone(daysAgo(15), '+09:00'), end: inZone(hoursAgo(14 * 24 + 1), '+09:00') }));
      expect((await deficiencies(server, 'ds-late'))['discharge-summary'].businessStatus.coding[0].code).toBe('delinquent');
    });

    it('reads a date-only end as the whole day (UTC by default): delinquent only once the 14 days after that day are over', async () => {
      await put(
        server,
        encounter('ds-day-14', { patient: 'p1', start: utcDateDaysAgo(20), end: utcDateDaysAgo(14) }),
        encounter('ds-day-15', { patient: 'p1', start: utcDateDaysAgo(20), end: utcDateDaysAgo(15) }),
      );
      expect((await deficiencies(server, 'ds-day-14'))['discharge-summary'].businessStatus.coding[0].code).toBe('deficient');
      expect((await deficiencies(server, 'ds-day-15'))['discharge-summary'].businessStatus.coding[0].code).toBe('delinquent');
      const task = (await deficiencies(server, 'ds-day-15'))['discharge-summary'];
      expect(task.restriction.period.start).toBe(`${utcDateDaysAgo(14)}T00:00:00.000Z`);
    });

    it('names the attending (ATND) before the primary performer as the owner', async () => {
      await put(server, encounter('ds-atnd', { patient: 'p1', end: inZone(daysAgo(1), 'Z'), performer: 'doc', attender: 'attending' }));
      expect((await deficiencies(server, 'ds-atnd'))['discharge-summary'].owner.reference).toBe('Practitioner/attending');
    });

    it('is met by a current discharge summary of the encounter, and not by one of another encounter or entered in error', async () => {
      await put(server, encounter('ds-done', { patient: 'p1', end: inZone(daysAgo(30), 'Z') }), encounter('ds-other', { patient: 'p1', end: inZone(daysAgo(30), 'Z') }));
      await put(
        server,
        document('summary-other', { patient: 'p1', encounter: 'ds-other', loinc: DISCHARGE_SUMMARY, signed: 'doc' }),
        document('summary-error', { patient: 'p1', encounter: 'ds-done', loinc: DISCHARGE_SUMMARY, status: 'entered-in-error' }),
      );
      expect(Object.keys(await deficiencies(server, 'ds-done'))).toContain('discharge-summary');
      await put(server, document('summary-done', { patient: 'p1', encounter: 'ds-done', loinc: DISCHARGE_SUMMARY, signed: 'doc' }));
      expect(Object.keys(await deficiencies(server, 'ds-done'))).not.toContain('discharge-summary');
    });

    it('does not apply to an ambulatory encounter, or to one not finished', async () => {
      await put(
        server,
        encounter('amb', { patient: 'p1', cls: 'AMB', end: inZone(daysAgo(30), 'Z') }),
        encounter('ongoing', { patient: 'p1', status: 'in-progress', start: inZone(daysAgo(30), 'Z') }),
      );
      expect(Object.keys(await deficiencies(server, 'amb'))).not.toContain('discharge-summary');
      expect(Object.keys(await deficiencies(server, 'ongoing'))).not.toContain('discharge-summary');
    });
  });

  describe('history and physical (LOINC 34117-2) within 24 hours of an inpatient admission', () => {
    it('is deficient 23 hours after admission and delinquent 25 hours after it', async () => {
      await put(
        server,
        encounter('hp-23', { patient: 'p1', status: 'in-progress', start: inZone(hoursAgo(23), '-07:00') }),
        encounter('hp-25', { patient: 'p1', status: 'in-progress', start: inZone(hoursAgo(25), '+05:30') }),
      );
      expect((await deficiencies(server, 'hp-23'))['history-and-physical'].businessStatus.coding[0].code).toBe('deficient');
      expect((await deficiencies(server, 'hp-25'))['history-and-physical'].businessStatus.coding[0].code).toBe('delinquent');
    });

    it('is met by an H&P note of the stay (a superseded one counts: it was written)', async () => {
      await put(server, document('hp-note', { patient: 'p1', encounter: 'hp-25', loinc: HISTORY_AND_PHYSICAL, status: 'superseded' }));
      expect(Object.keys(await deficiencies(server, 'hp-25'))).not.toContain('history-and-physical');
    });
  });

  describe('a current document needs an authenticator and docStatus final within 48 hours', () => {
    it("lists the encounter's unsigned documents, deficient before 48 hours and delinquent after, owned by their author", async () => {
      await put(server, encounter('notes', { patient: 'p1', cls: 'AMB', status: 'in-progress', start: inZone(daysAgo(3), 'Z') }));
      await put(
        server,
        document('note-47', { patient: 'p1', encounter: 'notes', loinc: '11506-3', date: inZone(hoursAgo(47), '-04:00'), author: 'doc' }),
        document('note-49', { patient: 'p1', encounter: 'notes', loinc: '11506-3', date: inZone(hoursAgo(49), '-04:00'), author: 'doc' }),
        document('note-signed', { patient: 'p1', encounter: 'notes', loinc: '11506-3', date: inZone(hoursAgo(49), 'Z'), author: 'doc', signed: 'doc' }),
      );
      const res = await server.json('GET', 'Encounter/notes/$completeness');
      const byFocus = Object.fromEntries(
        res.body.entry.filter((e: any) => e.resource.code.coding[0].code === 'document-authentication').map((e: any) => [e.resource.focus.reference, e.resource]),
      );
      expect(Object.keys(byFocus).sort()).toEqual(['DocumentReference/note-47', 'DocumentReference/note-49']);
      expect(byFocus['DocumentReference/note-47'].businessStatus.coding[0].code).toBe('deficient');
      expect(byFocus['DocumentReference/note-49'].businessStatus.coding[0].code).toBe('delinquent');
      expect(byFocus['DocumentReference/note-49'].owner.reference).toBe('Practitioner/doc');
      expect(byFocus['DocumentReference/note-49'].encounter.reference).toBe('Encounter/notes');
      expect(byFocus['DocumentReference/note-49'].description).toMatch(/no authenticator; docStatus is not final/);
    });
  });

  it('answers 404 for an encounter that does not exist', async () => {
    expect((await server.json('GET', 'Encounter/nope/$completeness')).status).toBe(404);
  });
});
