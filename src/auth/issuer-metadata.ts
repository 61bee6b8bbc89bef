import { checkJwksUrl } from './clients-file';

/** The external issuer's endpoints discovery publishes. */
export interface IssuerEndpoints {
  authorize?: string;
  token?: string;
}

/** Where an issuer publishes them, in order: SMART's own document, then OpenID Connect Discovery's. */
const WELL_KNOWN = ['smart-configuration', 'openid-configuration'];
const FETCH_TIMEOUT_MS = 5_000;

/** An endpoint of the metadata: absent, or an absolute http(s) URL. */
function endpoint(doc: Record<string, unknown>, name: string): string | undefined {
  const value = doc[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw new Error(`its ${name} is not an http(s) URL`);
  }
  return value;
}

/** The endpoints one metadata document gives; throws saying what is wrong with it. */
async function readMetadata(url: string, issuer: string): Promise<{ authorize?: string; token: string }> {
  // No redirects: the document says where clients send their credentials, so it comes from the issuer's own URL.
  const res = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  const doc: unknown = await res.json();
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not a JSON object');
  const meta = doc as Record<string, unknown>;
  // OpenID Connect Discovery §4.3: the issuer a document names must be the one it was fetched for.
  if (meta.issuer !== undefined && meta.issuer !== issuer) throw new Error(`it names another issuer, ${JSON.stringify(meta.issuer)}`);
  const token = endpoint(meta, 'token_endpoint');
  if (!token) throw new Error('it has no token_endpoint');
  return { token, authorize: endpoint(meta, 'authorization_endpoint') };
}

/**
 * The external issuer's authorize and token endpoints, read once at start-up from its metadata
 * (`{issuer}/.well-known/smart-configuration`, else `{issuer}/.well-known/openid-configuration`), for an issuer
 * configured without them. Throws, naming every URL tried and why it failed, rather than let discovery publish a
 * document without the token endpoint it requires.
 */
export async function issuerEndpoints(issuer: string): Promise<IssuerEndpoints> {
  // The rule for fetched keys (https:, http: on loopback) holds for the document that names the token endpoint.
  checkJwksUrl(issuer, 'SMART_ISSUER, whose metadata is fetched without SMART_TOKEN_ENDPOINT,', false);
  const problems: string[] = [];
  for (const name of WELL_KNOWN) {
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/${name}`;
    try {
      return await readMetadata(url, issuer);
    } catch (err) {
      const cause = (err as Error).cause instanceof Error ? `: ${((err as Error).cause as Error).message}` : '';
      problems.push(`${url}: ${(err as Error).message}${cause}`);
    }
  }
  throw new Error(
    `SMART_ISSUER ${issuer} is configured without SMART_TOKEN_ENDPOINT, and its endpoints cannot be read from its ` +
      `metadata (${problems.join('; ')}). Set SMART_TOKEN_ENDPOINT (and SMART_AUTHORIZE_ENDPOINT) or make the metadata reachable`,
  );
}
