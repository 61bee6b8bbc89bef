import express from 'express';
import type { AuditInput } from '../audit';
import { auditInputForToken } from './audit-input';
import { setHeaders } from './header-text';
import { handleTokenRequest, serverJwks, smartConfiguration, type AuthConfig } from '../auth';

export interface AuthRouteDeps {
  auth(): AuthConfig | undefined;
  baseUrl: string;
  audit(input: AuditInput): void;
}

/**
 * SMART discovery and the built-in Backend Services authorization server, below the FHIR base:
 * `/fhir/.well-known/smart-configuration`, `/fhir/auth/token`, `/fhir/auth/jwks`.
 */
export function mountAuthRoutes(app: express.Express, deps: AuthRouteDeps): void {
  // The API is mounted at /fhir locally whatever public base a reverse proxy presents.
  const mount = '/fhir';
  const cfg = () => {
    const c = deps.auth();
    if (!c) throw new Error('authorization not started');
    return c;
  };
  app.get(`${mount}/.well-known/smart-configuration`, (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(smartConfiguration(cfg(), deps.baseUrl));
  });
  app.get(`${mount}/auth/jwks`, (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(serverJwks(cfg()));
  });
  app.post(
    `${mount}/auth/token`,
    express.text({ limit: '64kb', type: 'application/x-www-form-urlencoded' }),
    async (req, res) => {
      // Parsed from the raw text, not by express.urlencoded: that merges a repeated parameter into one value (or an
      // array) before the token endpoint can refuse it (RFC 6749 §3.2). Any other media type is an empty form.
      const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
      const c = cfg();
      const result = await handleTokenRequest(form, c, c.tokenEndpoint, req.socket.remoteAddress);
      deps.audit(auditInputForToken(result, req.socket.remoteAddress));
      res.status(result.status);
      setHeaders(res, result.headers);
      res.json(result.body);
    },
  );
}
