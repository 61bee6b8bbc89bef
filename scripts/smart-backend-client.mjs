#!/usr/bin/env node
// A minimal SMART Backend Services client for fhirstone's built-in token endpoint (README, "SMART Backend Services:
// a worked example"). Uses jose, as the server does.
//
//   keygen <client_id> <scope> <clients.json> <private-key.json>
//       Makes an ES384 key pair: writes the private JWK (mode 0600, keep it with the client) and adds the client,
//       with its public key and allowed scope, to the clients file the server reads (SMART_CLIENTS_FILE).
//   assertion <token_endpoint> <client_id> <private-key.json>
//       Prints a client assertion: a JWT signed with the private key, iss = sub = client_id, aud = the token
//       endpoint, exp = now + 5 minutes, a fresh jti.
//   token <fhir_base> <client_id> <private-key.json> <scope>
//       Finds the token endpoint through <fhir_base>/.well-known/smart-configuration, asks it for <scope> with a
//       fresh assertion and prints the access token.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { SignJWT, exportJWK, generateKeyPair, importJWK } from 'jose';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

async function keygen(clientId, scope, clientsFile, keyFile) {
  const kid = `${clientId}-${new Date().toISOString().slice(0, 10)}`;
  const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
  const meta = { kid, alg: 'ES384', use: 'sig' };
  writeFileSync(keyFile, `${JSON.stringify({ ...(await exportJWK(privateKey)), ...meta }, null, 2)}\n`, { mode: 0o600 });
  const doc = existsSync(clientsFile) ? JSON.parse(readFileSync(clientsFile, 'utf8')) : { clients: [] };
  doc.clients = doc.clients.filter((c) => c.client_id !== clientId);
  doc.clients.push({ client_id: clientId, jwks: { keys: [{ ...(await exportJWK(publicKey)), ...meta }] }, scope });
  writeFileSync(clientsFile, `${JSON.stringify(doc, null, 2)}\n`);
  console.error(`wrote ${keyFile} (private, keep it with the client) and client ${clientId} in ${clientsFile}`);
}

async function assertion(tokenEndpoint, clientId, keyFile) {
  const jwk = JSON.parse(readFileSync(keyFile, 'utf8'));
  return new SignJWT({})
    .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: 'JWT' })
    .setIssuer(clientId)
    .setSubject(clientId)
    .setAudience(tokenEndpoint)
    .setExpirationTime('5m')
    .setJti(randomUUID())
    .sign(await importJWK(jwk, jwk.alg));
}

async function token(fhirBase, clientId, keyFile, scope) {
  const discovery = await fetch(`${fhirBase}/.well-known/smart-configuration`);
  if (!discovery.ok) throw new Error(`discovery: HTTP ${discovery.status}`);
  const { token_endpoint: endpoint } = await discovery.json();
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: await assertion(endpoint, clientId, keyFile),
      scope,
    }),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`token endpoint: HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

const [command, ...args] = process.argv.slice(2);
const commands = { keygen: [keygen, 4], assertion: [assertion, 3], token: [token, 4] };
const [run, arity] = commands[command] ?? [];
if (!run || args.length !== arity) {
  console.error(
    readFileSync(new URL(import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('// '))
      .slice(2, 13)
      .join('\n'),
  );
  process.exit(2);
}
try {
  const out = await run(...args);
  if (out) console.log(out);
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
