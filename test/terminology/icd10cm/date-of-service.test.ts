import { dateOfService, type ReadResource } from '../../../src/terminology/icd10cm';

const now = new Date(2025, 9, 20, 12); // October 20 2025, the server's local date
const encounters: Record<string, Record<string, unknown>> = {
  open: { resourceType: 'Encounter', class: { code: 'IMP' }, period: { start: '2025-09-25' } },
  clinic: { resourceType: 'Encounter', class: { code: 'AMB' }, period: { start: '2025-09-25T10:00:00+02:00', end: '2025-10-02' } },
};
const read: ReadResource = async (type, id) => (type === 'Encounter' ? encounters[id] : undefined);

describe('dateOfService (coded-element-rules.json)', () => {
  it('an inpatient encounter not yet discharged is coded as of today', async () => {
    expect(await dateOfService('Encounter', encounters.open, read, now)).toEqual({
      date: { year: 2025, month: 10, day: 20 },
      text: '2025-10-20 (today: Encounter has no end yet)',
    });
  });

  it("an ambulatory encounter by its start, the date as written in the encounter's zone", async () => {
    expect((await dateOfService('Condition', { encounter: { reference: 'Encounter/clinic' } }, read, now)).text).toBe('2025-09-25 (Encounter/clinic period.start)');
  });

  it('a Procedure by its encounter, else when it was performed; a ServiceRequest by when it was written', async () => {
    expect((await dateOfService('Procedure', { performedPeriod: { start: '2025-08-01' } }, read, now)).text).toBe('2025-08-01 (Procedure.performedPeriod.start)');
    expect((await dateOfService('ServiceRequest', { encounter: { reference: 'Encounter/gone' }, authoredOn: '2025-07-04' }, read, now)).text).toBe(
      '2025-07-04 (ServiceRequest.authoredOn)',
    );
  });

  it('no date at all: today', async () => {
    expect((await dateOfService('Condition', {}, read, now)).text).toBe('2025-10-20 (today: no date of service in the Condition)');
  });
});
