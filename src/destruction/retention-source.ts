import type { Repository } from '../store/repository';
import type { RecordMembership } from './record-membership';

/** A hold in force on a record or one of its resources: while there is one, nothing of the record is destroyed. */
export interface HoldInForce {
  /** The hold's own resource (`Basic/<id>`). */
  hold: string;
  matter?: string;
}

/** One record's retention at a given instant, as the retention rules compute it. */
export interface RecordRetention {
  /** The id of the rule that applies. */
  rule: string;
  /** The date the rule's period runs from (the last encounter's end, the date of death, ...), when known. */
  triggerDate?: string;
  /** The earliest date the record may be destroyed, when known. */
  destroyAfter?: string;
  /** May the record be destroyed at that instant (holds aside)? */
  eligible: boolean;
  holds: HoldInForce[];
}

/**
 * What destruction asks of the retention rules (src/retention/): the retention of a record at an instant, and what
 * the record is made of. The rules decide whether a record may go; destruction decides nothing of that.
 */
export interface RetentionSource {
  retentionOf(repo: Repository, patientId: string, at: Date): Promise<RecordRetention>;
  /**
   * The holds in force on each of `patientIds`' records (those held only), read inside the destruction batch's
   * transaction `tx` in a way that a hold committing meanwhile conflicts with the batch instead of being missed.
   */
  holdsNow(tx: Repository, patientIds: readonly string[]): Promise<Map<string, HoldInForce[]>>;
  /** In the batch's transaction: removes what the hold machinery keeps under the destroyed records' names. */
  forget(tx: Repository, patientIds: readonly string[]): Promise<void>;
  membership: RecordMembership;
}
