import * as oauth from 'oauth4webapi';
import { keepSession, type Session, type SmartServer } from './session';

/**
 * SMART App Launch, standalone launch, as a public client with PKCE (oauth4webapi does the protocol: code
 * challenge, state, the callback's checks, the token exchange and the ID token's claims). The FHIR base is the
 * token's audience: sent as SMART's `aud` and as the resource indicator (RFC 8707) other servers use.
 */
const PENDING = 'fhirstone.sign-in';

export const redirectUri = () => `${location.origin}/console/callback`;
const fhirBase = () => `${location.origin}/fhir`;

/** http: only on the loopback interface, as the server allows for the issuer's keys (a test's issuer). */
const loopback = (url: string) => ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);

function authorizationServer(server: SmartServer): oauth.AuthorizationServer {
  return { issuer: server.issuer, authorization_endpoint: server.authorize, token_endpoint: server.token };
}

/** Goes to the issuer's sign-in page; comes back to /console/callback, then to `returnTo`. */
export async function beginSignIn(server: SmartServer, returnTo: string): Promise<void> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, returnTo }));
  const url = new URL(server.authorize);
  const params = {
    response_type: 'code',
    client_id: server.clientId,
    redirect_uri: redirectUri(),
    scope: server.scope,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    aud: fhirBase(),
    resource: fhirBase(),
  };
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  location.assign(url.href);
}

/** On /console/callback: checks the answer, exchanges the code for the token, keeps the session. */
export async function finishSignIn(server: SmartServer): Promise<{ session: Session; returnTo: string }> {
  const raw = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  if (!raw) throw new Error('No sign-in was started in this tab: sign in again');
  const pending = JSON.parse(raw) as { verifier: string; state: string; returnTo: string };
  const as = authorizationServer(server);
  const client: oauth.Client = { client_id: server.clientId };
  const insecure = { [oauth.allowInsecureRequests]: loopback(server.token) };
  const params = oauth.validateAuthResponse(as, client, new URL(location.href), pending.state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri(), pending.verifier, {
    additionalParameters: { resource: fhirBase() },
    ...insecure,
  });
  const token = await oauth.processAuthorizationCodeResponse(as, client, response);
  const claims = oauth.getValidatedIdTokenClaims(token);
  const session: Session = {
    accessToken: token.access_token,
    scope: token.scope ?? '',
    expiresAt: Date.now() + (token.expires_in ?? 300) * 1000,
    user: typeof claims?.fhirUser === 'string' ? claims.fhirUser.replace(`${fhirBase()}/`, '') : claims?.sub,
  };
  keepSession(session);
  return { session, returnTo: pending.returnTo };
}
