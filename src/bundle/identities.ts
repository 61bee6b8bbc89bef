import { badRequest } from '../errors/operation-outcome-error';
import type { FhirRequest } from '../router/types';

/**
 * The resource identities a transaction's DELETE, POST, PUT and PATCH entries act on. Spec 3.1.0.11.2: if any of
 * them overlap (including identities resolved from conditional update/delete), the transaction SHALL fail: the
 * outcome would otherwise depend on processing order. Reads (GET/HEAD) may name anything.
 */
export class IdentityClaims {
  private readonly owners = new Map<string, number>();

  /** Records that entry `index` acts on `identity`; 400 naming both entries when another entry already does. */
  claim(identity: string, index: number): void {
    const other = this.owners.get(identity);
    if (other === undefined) this.owners.set(identity, index);
    else if (other !== index) {
      const [first, second] = other < index ? [other, index] : [index, other];
      throw badRequest(`Bundle.entry[${first}] and Bundle.entry[${second}] both act on ${identity}; the entries of a transaction must act on distinct resources`, [
        `Bundle.entry[${second}].request.url`,
        `Bundle.entry[${first}].request.url`,
      ]);
    }
  }
}

/** `Type/id` that a DELETE, PUT or PATCH of one instance acts on. */
export function instanceTarget(req: FhirRequest): string | undefined {
  if (req.method !== 'DELETE' && req.method !== 'PUT' && req.method !== 'PATCH') return undefined;
  const parts = req.path.split('/');
  return parts.length === 2 && !/^[$_]/.test(parts[1]) ? req.path : undefined;
}

/** The type of a conditional update or delete (`PUT|DELETE Type?criteria`). */
export function conditionalTarget(req: FhirRequest): string | undefined {
  if (req.method !== 'PUT' && req.method !== 'DELETE') return undefined;
  return req.query.length && req.path !== '' && !req.path.includes('/') ? req.path : undefined;
}

/** A conditional entry's criteria as an identity: two entries with the same criteria act on the same resource. */
export function criteriaIdentity(type: string, query: Array<[string, string]>): string {
  const pairs = query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).sort();
  return `${type}?${pairs.join('&')}`;
}
