import { notFound } from '../errors/operation-outcome-error';
import type { Route } from '../router/route';
import { type AuthConfig, isAuthConfigured } from './config';
import { serverJwks } from './authenticate';
import { smartConfiguration } from './discovery';
import { handleTokenRequest } from './token-endpoint';

export interface AuthRouteDeps {
  /** Resolved at request time: authorization is configured when the server starts, after the table is built. */
  auth(): AuthConfig | undefined;
}

const DISCOVERY_CACHE = { 'Cache-Control': 'public, max-age=300' };

/**
 * SMART discovery and the built-in Backend Services authorization server, below the FHIR base:
 * `.well-known/smart-configuration` (404 in protected mode), `auth/jwks` (public documents, not audited: they hold
 * no one's data) and `auth/token` (audited as `token`, failures aggregated as failed logins).
 */
export function authRoutes(deps: AuthRouteDeps): Route[] {
  const cfg = () => {
    const c = deps.auth();
    if (!c) throw new Error('authorization not started');
    return c;
  };
  return [
    {
      methods: ['GET'],
      path: '.well-known/smart-configuration',
      interaction: 'capabilities',
      public: true,
      httpOnly: true,
      audited: false,
      handler: async (ctx) => {
        const c = cfg();
        // The document describes an authorization server (its token_endpoint is REQUIRED); protected mode has none.
        if (!isAuthConfigured(c)) throw notFound('No SMART authorization server: this server runs in protected mode, without tokens');
        return { status: 200, headers: DISCOVERY_CACHE, body: { json: JSON.stringify(smartConfiguration(c, ctx.baseUrl)) }, contentType: 'application/json' };
      },
    },
    {
      methods: ['GET'],
      path: 'auth/jwks',
      interaction: 'capabilities',
      public: true,
      httpOnly: true,
      audited: false,
      handler: async () => ({ status: 200, headers: DISCOVERY_CACHE, body: { json: JSON.stringify(serverJwks(cfg())) }, contentType: 'application/json' }),
    },
    {
      methods: ['POST'],
      path: 'auth/token',
      interaction: 'token',
      public: true,
      httpOnly: true,
      // Parsed from the raw text as pairs, not merged by a form parser: a repeated parameter must be refusable
      // (RFC 6749 §3.2). Any other media type is an empty form.
      body: 'form',
      bodyLimit: 64 * 1024,
      handler: async (_ctx, req) => {
        const c = cfg();
        const form = new URLSearchParams((req.body as Array<[string, string]> | undefined) ?? []);
        const result = await handleTokenRequest(form, c, c.tokenEndpoint, req.remoteAddress);
        if (req.trace) {
          const refusal = result.status === 200 ? undefined : String(result.body.error_description ?? result.body.error ?? '');
          req.trace.tokenRequest = { clientId: result.clientId, refusal };
        }
        return { status: result.status, headers: result.headers, body: { json: JSON.stringify(result.body) }, contentType: 'application/json' };
      },
    },
  ];
}
