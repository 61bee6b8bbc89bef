import ipaddr from 'ipaddr.js';
import { LRUCache } from 'lru-cache';
import { OperationOutcomeError, issue } from '../errors/operation-outcome-error';

/** Limits on failed authentications; a limit of 0 turns that kind of throttling off. */
export interface ThrottleLimits {
  windowSeconds: number;
  /** Failures from one address (an IPv6 address counts by its /64) within a window before it is refused. */
  addressFailures: number;
  /** Failed client assertions of one registered client from one address within a window before it is refused there. */
  clientFailures: number;
}

/** Who is authenticating: the peer address, and the registered client claimed at the token endpoint. */
export interface Attempt {
  address?: string;
  client?: string;
}

/** About 100 bytes an entry: the table stays under a few MB however many addresses an attacker rotates through. */
const MAX_ENTRIES = 10_000;

/**
 * The key an address counts under, or undefined for loopback peers: local processes, or a reverse proxy on this
 * host, which stands for all its clients (one attacker's failures would lock every client out). An IPv6 host
 * usually controls its whole /64, so counting its addresses one by one would let it rotate past the limit (and
 * through the table); IPv4-mapped IPv6 addresses count as the IPv4 address.
 */
export function addressKey(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return address;
  const ip = ipaddr.process(address);
  if (ip.range() === 'loopback') return undefined;
  if (ip.kind() === 'ipv4') return ip.toString();
  return `${(ip as ipaddr.IPv6).parts
    .slice(0, 4)
    .map((p) => p.toString(16))
    .join(':')}::/64`;
}

/**
 * Counts failed authentications per address and per client and address in fixed windows: after the limit, the
 * address (or the client from that address) is refused until its window ends, without the request being verified (or
 * audited as another failure). A client is counted per address because its id is not a secret: counted alone,
 * anyone could lock a registered client out by sending bad assertions in its name. The table is an LRU cache
 * (`lru-cache`): when full, the entry whose last failure is oldest makes room, so an attacker rotating through more
 * addresses than the table holds can push entries out; it cannot grow memory.
 */
export class FailureThrottle {
  private readonly entries: LRUCache<string, { count: number; since: number }>;

  constructor(
    private readonly limits: ThrottleLimits,
    maxEntries = MAX_ENTRIES,
  ) {
    this.entries = new LRUCache({ max: maxEntries });
  }

  /** Whole seconds until `attempt` may try again, or undefined when it is not refused. */
  retryAfter(attempt: Attempt, nowMs = Date.now()): number | undefined {
    // Asked on every authenticated request: with no failure on record there is nothing to parse an address for.
    if (this.entries.size === 0) return undefined;
    let until = 0;
    for (const [key, limit] of this.keysOf(attempt)) {
      const e = this.live(key, nowMs);
      if (e && e.count >= limit) until = Math.max(until, e.since + this.limits.windowSeconds * 1000);
    }
    return until > nowMs ? Math.ceil((until - nowMs) / 1000) : undefined;
  }

  failed(attempt: Attempt, nowMs = Date.now()): void {
    for (const [key] of this.keysOf(attempt)) {
      const e = this.live(key, nowMs) ?? { count: 0, since: nowMs };
      e.count++;
      this.entries.set(key, e);
    }
  }

  /** A client that proved itself starts afresh from that address (the address does not: others may share it). */
  succeeded(attempt: Attempt): void {
    if (attempt.client !== undefined) this.entries.delete(clientKey(attempt.client, peerOf(attempt)));
  }

  get size(): number {
    return this.entries.size;
  }

  private live(key: string, nowMs: number) {
    const e = this.entries.get(key);
    if (e && e.since + this.limits.windowSeconds * 1000 <= nowMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private keysOf(attempt: Attempt): Array<[string, number]> {
    const keys: Array<[string, number]> = [];
    const peer = peerOf(attempt);
    if (peer.key !== undefined && this.limits.addressFailures > 0) {
      keys.push([`address ${peer.key}`, this.limits.addressFailures]);
    }
    if (attempt.client !== undefined && this.limits.clientFailures > 0) {
      keys.push([clientKey(attempt.client, peer), this.limits.clientFailures]);
    }
    return keys;
  }
}

/** The attempt's address key, worked out once per call (`key` undefined for loopback, `known` false when absent). */
function peerOf(attempt: Attempt): { key: string | undefined; known: boolean } {
  return attempt.address === undefined ? { key: undefined, known: false } : { key: addressKey(attempt.address), known: true };
}

/** Loopback peers count together here (a local proxy's clients share it): one client, one local peer. */
function clientKey(client: string, peer: { key: string | undefined; known: boolean }): string {
  return `client ${client} from ${peer.known ? (peer.key ?? 'loopback') : 'unknown'}`;
}

export const throttled = (retryAfterSeconds: number) =>
  new OperationOutcomeError('too-many-requests', [issue('throttled', `Too many failed authentications; retry after ${retryAfterSeconds} s`)], { retryAfterSeconds });
