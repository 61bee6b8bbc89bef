import type { Recipient } from './client-registration';

/**
 * What the caller may do. Built from a SMART token (src/auth) or, in protected mode without auth configuration,
 * the unrestricted policy. The repository applies it to every query it runs, so includes, chains and bundle
 * entries get the same restrictions as a plain read.
 */
export type AccessInteraction = 'read' | 'search' | 'create' | 'update' | 'delete';

export interface AccessPolicy {
  /** For audit: who is calling. */
  readonly clientId?: string;
  readonly user?: string;
  /** For audit: the access token's `jti`, so an event can be traced to the token that authorised it. */
  readonly tokenId?: string;
  /**
   * The verified token's issuer: a client_id names a client only within the issuer that registered it (an external
   * issuer may issue tokens with the same client_id as a client of the built-in token endpoint).
   */
  readonly issuer?: string;
  /**
   * For audit: why the caller accesses data, as v3 PurposeOfUse codes: the token's claim, else its client's registered
   * default (src/auth/purpose-of-use.ts). Absent: unknown.
   */
  readonly purposeOfUse?: readonly string[];
  /** For audit: the organisation the caller's client is registered to act for, the recipient of what it reads. */
  readonly recipient?: Recipient;
  readonly scopes: readonly string[];
  /** True when no auth is configured and the server runs in loopback-only protected mode. */
  readonly unrestricted: boolean;
  /**
   * Patient compartment bound: when set, only resources in the compartment of one of these patients are visible
   * or writable (types outside the patient compartment definition are governed by `allows` alone).
   */
  readonly patientIds?: readonly string[];
  /**
   * `patientIds` selects a cohort for a system process (a bulk export job), rather than binding a person to their
   * own record: resources that list other patients too (a Group, a multi-patient AuditEvent) are included.
   */
  readonly patientCohort?: boolean;
  /** May the caller perform this interaction on this type at all? */
  allows(type: string, interaction: AccessInteraction): boolean;
  /**
   * SMART v2 granular scopes (`patient/Condition.rs?category=problem-list-item`): the search queries that bound
   * what is visible for `type`, OR-ed. Undefined when the type is not restricted this way.
   */
  searchRestrictions(type: string, interaction: AccessInteraction): readonly string[] | undefined;
}

export const unrestrictedPolicy: AccessPolicy = {
  scopes: [],
  unrestricted: true,
  allows: () => true,
  searchRestrictions: () => undefined,
};

/**
 * The caller of the few endpoints served without a token (the CapabilityStatement): granted nothing, so anything
 * it reaches beyond them is refused by the repository like any other missing grant.
 */
export const anonymousPolicy: AccessPolicy = {
  scopes: [],
  unrestricted: false,
  allows: () => false,
  searchRestrictions: () => undefined,
};
