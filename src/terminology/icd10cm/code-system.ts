import { dotted, icd10cmFormatProblem } from './code-format';
import { fiscalYearOf, serviceDate } from './fiscal-year';
import type { OrderRecord } from './order-file';

export const ICD10CM_SYSTEM = 'http://hl7.org/fhir/sid/icd-10-cm';

/** What the ICD-10-CM code set in force on a date says of a code. */
export interface Icd10CmLookup {
  /** Dotted: `E11.9`. */
  code: string;
  /** The long description of the fiscal year answered (or, when the code is not in that year, of the latest year that has it). */
  display: string;
  /** The short (60-character) description of the same year. */
  shortDisplay: string;
  /** The code (billable or header) is in the code set of `fiscalYear`. */
  inForce: boolean;
  /** In force and valid for HIPAA-covered transactions (order file flag 1). */
  billable: boolean;
  /** In force as a header (flag 0): a category with codes below it, abstract, never valid on a claim. */
  header: boolean;
  /**
   * The fiscal year answered: the one in force on the date, or when the date is outside the loaded years the
   * nearest loaded one (`outsideLoadedYears`).
   */
  fiscalYear: number;
  /** The date's fiscal year is not loaded: the answer is that of `fiscalYear`, the nearest loaded year. */
  outsideLoadedYears: boolean;
  /** Every loaded fiscal year whose code set has the code. */
  years: number[];
}

/** One code across the loaded years: bit i of a mask is the i-th loaded year. */
interface Concept {
  code: string;
  present: number;
  billable: number;
  short: string;
  long: string;
  /** Descriptions of years that differ from `short`/`long` (those of the latest year that has the code). */
  earlier?: Map<number, { short: string; long: string }>;
}

const bit = (i: number) => 1 << i;

/**
 * ICD-10-CM (`http://hl7.org/fhir/sid/icd-10-cm`) as the loaded fiscal years' order files give it. Built by
 * `loadIcd10Cm` (index.ts); immutable once built, shared by every server in the process.
 */
export class Icd10CmCodeSystem {
  private readonly concepts = new Map<string, Concept>();
  /** The loaded fiscal years, oldest first; a concept's masks index this list. */
  readonly years: number[] = [];

  /** Starts a fiscal year (oldest first) and returns its index: its records follow, each with `add(index, record)`. */
  beginYear(fiscalYear: number): number {
    if (this.years.length >= 31) throw new Error('at most 31 fiscal years of ICD-10-CM can be loaded');
    if (this.years.length && fiscalYear <= this.years[this.years.length - 1]) throw new Error(`FY${fiscalYear} added out of order`);
    return this.years.push(fiscalYear) - 1;
  }

  /** Adds one record of the year at index `i`. */
  add(i: number, r: OrderRecord): void {
    const c = this.concepts.get(r.code);
    if (!c) {
      this.concepts.set(r.code, { code: dotted(r.code), present: bit(i), billable: r.billable ? bit(i) : 0, short: r.short, long: r.long });
      return;
    }
    if (c.short !== r.short || c.long !== r.long) {
      // A revised title: the years so far keep theirs, the latest becomes the default.
      c.earlier ??= new Map();
      for (let y = 0; y < i; y++) if (c.present & bit(y) && !c.earlier.has(y)) c.earlier.set(y, { short: c.short, long: c.long });
      c.short = r.short;
      c.long = r.long;
    }
    c.present |= bit(i);
    if (r.billable) c.billable |= bit(i);
  }

  /** How many distinct codes (billable or header) any loaded year has. */
  get size(): number {
    return this.concepts.size;
  }

  /** Index in `years` of the year to answer for `fy`: itself, else the nearest loaded one. */
  private yearIndex(fy: number): number {
    const exact = this.years.indexOf(fy);
    if (exact >= 0) return exact;
    return fy < this.years[0] ? 0 : this.years.length - 1;
  }

  /**
   * What the code set in force on `date` says of `code` (dotted, `E11.9`), or undefined when no loaded year has
   * the code, or it is not written as an ICD-10-CM code (`icd10cmFormatProblem` says why: `E119` lacks its dot).
   *
   * `date` is the date of service: a FHIR date or dateTime (its calendar date as written, a partial date at its
   * first day) or a Date (the server's local date); absent, today. Throws a RangeError for a date string that is
   * not a FHIR date. A date outside the loaded years is answered from the nearest loaded year, with
   * `outsideLoadedYears` set.
   */
  lookup(code: string, date?: string | Date): Icd10CmLookup | undefined {
    return this.lookupInYear(code, this.fiscalYearOf(date));
  }

  /** As `lookup`, for the code set of fiscal year `fy` (the nearest loaded one when `fy` is not loaded). */
  lookupInYear(code: string, fy: number): Icd10CmLookup | undefined {
    if (icd10cmFormatProblem(code) !== undefined) return undefined;
    const c = this.concepts.get(code.replace('.', ''));
    if (!c) return undefined;
    const i = this.yearIndex(fy);
    const inForce = (c.present & bit(i)) !== 0;
    const billable = (c.billable & bit(i)) !== 0;
    const titles = (inForce && c.earlier?.get(i)) || c;
    return {
      code: c.code,
      display: titles.long,
      shortDisplay: titles.short,
      inForce,
      billable,
      header: inForce && !billable,
      fiscalYear: this.years[i],
      outsideLoadedYears: this.years[i] !== fy,
      years: this.years.filter((_, y) => c.present & bit(y)),
    };
  }

  /**
   * The category a code is under in the code set of `fy`: the longest shorter code that year has (`E11.9` ->
   * `E11`, `S72.001A` -> `S72.001`, `S72.00` -> `S72.0`); undefined for a category.
   */
  parentOf(code: string, fy: number): string | undefined {
    const bare = code.replace('.', '');
    const i = this.yearIndex(fy);
    for (let n = bare.length - 1; n >= 3; n--) {
      const c = this.concepts.get(bare.slice(0, n));
      if (c && c.present & bit(i)) return c.code;
    }
    return undefined;
  }

  /** The fiscal year of a date of service (absent: today); throws a RangeError when the text is not a FHIR date. */
  fiscalYearOf(date: string | Date = new Date()): number {
    const d = serviceDate(date);
    if (!d) throw new RangeError(`'${String(date)}' is not a FHIR date or dateTime`);
    return fiscalYearOf(d);
  }
}
