import type { JWTVerifyGetKey } from 'jose';
import { FailureThrottle, type ThrottleLimits } from './failure-throttle';
import { ReplayCache, type ReplayGuard } from './replay-cache';
import { VerifiedTokens } from './verified-tokens';

/**
 * What one server's authorization remembers between requests: failures counted by the throttle (the token
 * endpoint and bearer tokens together), assertion ids already used, key sets fetched, tokens already verified.
 * Made with its AuthConfig, so two servers in one process (tests, bench) never share it.
 */
export class AuthState {
  readonly throttle: FailureThrottle;
  /** Assertion ids used: in the store when the server has one (shared by its instances), else in memory. */
  readonly replay: ReplayGuard;
  /** Registered clients' key sets, by client id. */
  readonly clientKeys = new Map<string, JWTVerifyGetKey>();
  readonly verifiedTokens = new VerifiedTokens();
  /** The external issuer's key set, made on first use. */
  externalKeys?: JWTVerifyGetKey;

  constructor(limits: ThrottleLimits, replay: ReplayGuard = new ReplayCache()) {
    this.throttle = new FailureThrottle(limits);
    this.replay = replay;
  }
}
