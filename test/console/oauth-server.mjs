// A real OAuth 2.0 / OpenID Connect authorization server for the console's sign-in tests: oidc-provider (ESM only,
// so it runs in a process of its own, started by test/console/oauth-server.ts) in the role of a site's SMART issuer.
// It issues JWT access tokens for one resource (the FHIR base) with SMART scopes and a fhirUser claim, to one public
// client (PKCE required, as oidc-provider does for every public client), through its development sign-in and
// consent pages (any login name and password; the login names the user, Practitioner/<login>).
//
// Protocol: it listens first and prints {"issuer"} as one line (the FHIR server needs the issuer to start); then it
// reads one line of JSON, {"audience", "clientId", "redirectUri", "scope", "scopes"} (`scope`: what the site grants
// its users, the SMART scopes of the FHIR base; `scopes`: what it grants some of them instead, by login), sets the
// provider up and prints {"ready": true}.
import http from 'node:http';
import readline from 'node:readline';
import Provider, { errors } from 'oidc-provider';

let handler;
const server = http.createServer((req, res) => {
  if (handler) return handler(req, res);
  res.statusCode = 503;
  res.end();
});

server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
  readline.createInterface({ input: process.stdin }).once('line', (line) => {
    const site = JSON.parse(line);
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: site.clientId,
          token_endpoint_auth_method: 'none',
          redirect_uris: [site.redirectUri],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      // The console exchanges the code from its own origin.
      clientBasedCORS: (_ctx, origin) => origin === new URL(site.redirectUri).origin,
      claims: { openid: ['sub'], fhirUser: ['fhirUser'] },
      // fhirUser in the ID token itself (SMART App Launch: the app reads the user from the ID token).
      conformIdTokenClaims: false,
      findAccount: (_ctx, accountId) => ({
        accountId,
        claims: () => ({ sub: accountId, fhirUser: `${site.audience}/Practitioner/${accountId}` }),
      }),
      extraTokenClaims: (_ctx, token) => ({ fhirUser: `Practitioner/${token.accountId}` }),
      cookies: { keys: ['console-sign-in-test'] },
      features: {
        devInteractions: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => site.audience,
          useGrantedResource: () => true,
          getResourceServerInfo: (ctx, resource) => {
            if (resource !== site.audience) throw new errors.InvalidTarget();
            // The user: signed in here (authorization, consent), or the one the code was issued to (token exchange).
            const user = ctx.oidc.session?.accountId ?? ctx.oidc.entities.AuthorizationCode?.accountId;
            return { scope: site.scopes?.[user] ?? site.scope, audience: site.audience, accessTokenFormat: 'jwt', accessTokenTTL: 900, jwt: { sign: { alg: 'RS256' } } };
          },
        },
      },
    });
    handler = provider.callback();
    process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  });
});
