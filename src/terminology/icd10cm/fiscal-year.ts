import { dateTimeParts } from '../../fhir/date-time';

/**
 * ICD-10-CM code sets are released per US federal fiscal year: fiscal year N is in force for dates of service from
 * October 1 of year N-1 through September 30 of year N (FY2026: 2025-10-01 to 2026-09-30).
 */

/** A calendar date of service, as written: no time, no zone. */
export interface ServiceDate {
  year: number;
  month: number;
  day: number;
}

/** `2025-10-01`. */
export const formatServiceDate = (d: ServiceDate) => `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;

/**
 * The date of service a FHIR date or dateTime names: the calendar date as written, in the zone it is written in
 * (`2025-09-30T23:30:00-04:00` is September 30, the facility's date, though it is October 1 in UTC). A partial date
 * (`2025`, `2025-10`) is read as its first day. A JS Date is read as the server's local calendar date. Undefined when
 * the text is not a FHIR date or dateTime.
 */
export function serviceDate(value: string | Date): ServiceDate | undefined {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) return undefined;
    return { year: value.getFullYear(), month: value.getMonth() + 1, day: value.getDate() };
  }
  const parts = dateTimeParts(value);
  if (!parts) return undefined;
  const month = parts.month ?? 1;
  const day = parts.day ?? 1;
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  return { year: parts.year, month, day };
}

/** The fiscal year whose code set is in force on `d`. */
export const fiscalYearOf = (d: ServiceDate) => (d.month >= 10 ? d.year + 1 : d.year);

/** The dates of service fiscal year `fy` covers, both ends included. */
export const fiscalYearPeriod = (fy: number) => ({ start: `${fy - 1}-10-01`, end: `${fy}-09-30` });
