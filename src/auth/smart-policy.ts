import { isValidId } from '../fhir/resource-id';
import type { AccessInteraction, AccessPolicy } from './access-policy';
import type { ClientRegistration, Recipient } from './client-registration';
import { INTERACTION_PERMISSION, type ScopeGrant, grantCovers, parseScopes } from './scopes';

/** The claims of a validated access token that decide what it may do. */
export interface AccessTokenClaims {
  scope?: unknown;
  /** Some authorization servers send scopes as an array under `scp`. */
  scp?: unknown;
  patient?: unknown;
  fhirUser?: unknown;
  client_id?: unknown;
  azp?: unknown;
  sub?: unknown;
  jti?: unknown;
  iss?: unknown;
  /** Purpose of use, checked by `claimedPurposeOfUse` (src/auth/purpose-of-use.ts) before a policy is made. */
  purpose_of_use?: unknown;
  extensions?: unknown;
}

/** What the server knows of a token beyond its claims. */
export interface PolicyContext {
  /** The purpose of use the token claims (already checked). */
  purposeOfUse?: readonly string[];
  /** The registration of the token's client, within the token's issuer. */
  registration?: (clientId: string) => ClientRegistration | undefined;
}

/** The claims a policy is built from, all of them listed in AccessTokenClaims. */
const POLICY_CLAIMS = ['scope', 'scp', 'patient', 'fhirUser', 'client_id', 'azp', 'sub', 'jti', 'iss'] as const satisfies ReadonlyArray<keyof AccessTokenClaims>;

/** Where the id sits in a `patient` claim; the id itself must pass `isValidId` (no id of dots only). */
const RELATIVE_PATIENT = /^(?:Patient\/)?([^/]+)$/;
const ABSOLUTE_PATIENT = /^https?:\/\/[^\s/?#]+(?:\/[^\s/?#]+)*\/Patient\/([^/]+)$/;

/**
 * The id in a `patient` claim ('123', 'Patient/123' or an absolute Patient URL), or undefined if unusable.
 * Anything else is refused rather than searched for a Patient/ tail: with dot segments, `A/../Patient/B` names B.
 */
function patientIdOf(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.split('/').some((s) => s === '.' || s === '..')) return undefined;
  const id = (RELATIVE_PATIENT.exec(value) ?? ABSOLUTE_PATIENT.exec(value))?.[1];
  return id !== undefined && isValidId(id) ? id : undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The AccessPolicy of a SMART access token.
 *
 * - `patient/` grants count only with a `patient` claim, and bind every patient-compartment type to it.
 * - `user/` grants act for the `fhirUser`; when that user is a Patient (a patient portal login), they are bound to
 *   that patient's compartment too. Otherwise the server has no per-user access list and they are not bound.
 * - `system/` grants are not bound.
 * There is one compartment bound per policy (the repository applies `patientIds` to every type), so a token that
 * mixes bound and unbound grants is bound everywhere: scopes may make access narrower than intended, never wider.
 */
export class SmartAccessPolicy implements AccessPolicy {
  readonly unrestricted = false;
  readonly scopes: readonly string[];
  readonly grants: readonly ScopeGrant[];
  readonly patientIds?: readonly string[];
  readonly clientId?: string;
  readonly user?: string;
  readonly tokenId?: string;
  readonly issuer?: string;
  readonly purposeOfUse?: readonly string[];
  readonly recipient?: Recipient;

  /** The verified claims this policy was built from (only those): an asynchronous job rebuilds it from them (src/jobs/grant.ts). */
  readonly claims: AccessTokenClaims;

  constructor(claims: AccessTokenClaims, context: PolicyContext = {}) {
    this.claims = Object.fromEntries(POLICY_CLAIMS.filter((k) => claims[k] !== undefined).map((k) => [k, claims[k]]));
    const raw = claims.scope ?? claims.scp;
    const parsed = parseScopes(typeof raw === 'string' ? raw : Array.isArray(raw) ? raw.filter((s): s is string => typeof s === 'string') : []);
    this.scopes = [...parsed.grants.map((g) => g.raw), ...parsed.other];

    const launchPatient = patientIdOf(claims.patient);
    const fhirUser = str(claims.fhirUser);
    // Any fhirUser naming a Patient is a patient login; one whose id cannot be read must not act unbound.
    const userIsPatient = fhirUser !== undefined && /(?:^|\/)Patient(?:\/|$)/.test(fhirUser);
    const userPatient = userIsPatient ? patientIdOf(fhirUser) : undefined;

    // patient/ grants without a launch patient cannot be bound to a compartment, so they grant nothing.
    // Nor do user/ grants of a patient login whose patient id is unusable.
    this.grants = parsed.grants.filter(
      (g) => (g.context !== 'patient' || launchPatient !== undefined) && (g.context !== 'user' || !userIsPatient || userPatient !== undefined),
    );
    const hasPatientGrant = this.grants.some((g) => g.context === 'patient');
    const hasUserGrant = this.grants.some((g) => g.context === 'user');
    const bound = hasPatientGrant ? launchPatient : hasUserGrant ? userPatient : undefined;
    if (bound) this.patientIds = [bound];
    this.clientId = str(claims.client_id) ?? str(claims.azp);
    this.user = fhirUser ?? str(claims.sub);
    this.tokenId = str(claims.jti);
    this.issuer = str(claims.iss);
    const registration = this.clientId ? context.registration?.(this.clientId) : undefined;
    this.purposeOfUse = context.purposeOfUse ?? registration?.purposeOfUse;
    this.recipient = registration?.recipient;
  }

  allows(type: string, interaction: AccessInteraction): boolean {
    const permission = INTERACTION_PERMISSION[interaction];
    return this.grants.some((g) => grantCovers(g, type, permission));
  }

  searchRestrictions(type: string, interaction: AccessInteraction): readonly string[] | undefined {
    const permission = INTERACTION_PERMISSION[interaction];
    const covering = this.grants.filter((g) => grantCovers(g, type, permission));
    // Any unrestricted grant for the type makes the restricted ones irrelevant (they are OR-ed).
    if (covering.length === 0 || covering.some((g) => g.query === undefined)) return undefined;
    return covering.map((g) => g.query as string);
  }
}
