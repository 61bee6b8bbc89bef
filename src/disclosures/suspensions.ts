import type { Collection, Db } from 'mongodb';
import type { Disclosure } from './disclosure';

/**
 * A temporary suspension of a patient's right to an accounting of the disclosures made to one health oversight
 * agency or law enforcement official, at its request (45 CFR 164.528(a)(2)): while it is in force, the accounting
 * leaves out every disclosure to that recipient. Kept in its own collection, out of the patient's record (a Basic
 * resource would sit in the patient's compartment, where a patient token could read or delete it).
 */
export interface Suspension {
  _id: string;
  patient: string;
  /** The agency or official, matched against a disclosure's recipient name (case and spacing aside). */
  agency: string;
  start: Date;
  /** The end the agency named. */
  end: Date;
  /** An oral statement suspends for at most 30 days unless a written one follows (164.528(a)(2)(ii)). */
  statement: 'written' | 'oral';
  reason?: string;
  placedAt: Date;
  placedBy: { client?: string; user?: string };
}

export const SUSPENSIONS_COLLECTION = 'disclosure_suspensions';
const ORAL_LIMIT_MS = 30 * 24 * 3600_000;

/** When the suspension stops being in force: its end, or 30 days after an oral statement, whichever is first. */
export function effectiveEnd(s: Pick<Suspension, 'start' | 'end' | 'statement'>): Date {
  return s.statement === 'oral' ? new Date(Math.min(s.end.getTime(), s.start.getTime() + ORAL_LIMIT_MS)) : s.end;
}

export const inForce = (s: Suspension, now: Date): boolean => s.start <= now && now < effectiveEnd(s);

const normalName = (name: string) => name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();

/** Does one of `suspensions` leave `d` out of an accounting given at `now`? */
export function suspended(d: Disclosure, suspensions: readonly Suspension[], now: Date): boolean {
  const recipient = normalName(d.recipient.name);
  return suspensions.some((s) => inForce(s, now) && normalName(s.agency) === recipient);
}

export class SuspensionStore {
  private readonly suspensions: Collection<Suspension>;

  constructor(db: Db) {
    this.suspensions = db.collection<Suspension>(SUSPENSIONS_COLLECTION);
  }

  async init(): Promise<void> {
    await this.suspensions.createIndexes([{ key: { patient: 1, end: 1 }, name: 'patient_end' }]);
  }

  async place(s: Suspension): Promise<void> {
    await this.suspensions.insertOne(s);
  }

  /** Every suspension placed on any of `ids`, oldest first. */
  ofRecord(ids: readonly string[]): Promise<Suspension[]> {
    return this.suspensions
      .find({ patient: { $in: [...ids] } })
      .sort({ start: 1, _id: 1 })
      .toArray();
  }
}
