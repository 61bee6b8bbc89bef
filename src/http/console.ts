import express, { type Request, type Response, type Router } from 'express';
import fs from 'node:fs';
import path from 'node:path';

/**
 * The records console (console/, built by scripts/build-console.js into dist/console) served at `/console`: the
 * built files as they are, and its page for any other path below it (the console routes in the browser). It talks
 * to the FHIR API like any client; the server gives it no other access.
 *
 * Its own Content-Security-Policy in place of the API's `default-src 'none'`: scripts, styles, fonts and requests
 * from this origin only (no inline script or style, no eval), images also as `data:`/`blob:` URLs and frames as
 * `blob:` URLs (the attachment viewer shows a PDF or an HTML document from the bytes it fetched), and no one may
 * frame the console.
 */
export function consoleCsp(connectSources: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    ["connect-src 'self'", ...connectSources].join(' '),
    'frame-src blob:',
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * What the console needs to know of its deployment, served as `/console/config.json`: the client_id it signs in
 * with at the external SMART issuer (CONSOLE_CLIENT_ID, default `fhirstone-console`; registered there as a public
 * client with the redirect URI `<origin>/console/callback`), the scope it asks for (CONSOLE_SCOPE, default the
 * console's own list), and the origins it calls besides this server (the issuer's token endpoint, where the
 * browser exchanges the code: the CSP's connect-src admits it).
 */
export interface ConsoleSettings {
  clientId: string;
  scope?: string;
  connectSources: string[];
}

export function consoleSettings(env: Record<string, string | undefined>, issuerTokenEndpoint?: string): ConsoleSettings {
  return {
    clientId: env.CONSOLE_CLIENT_ID || 'fhirstone-console',
    scope: env.CONSOLE_SCOPE || undefined,
    connectSources: issuerTokenEndpoint ? [new URL(issuerTokenEndpoint).origin] : [],
  };
}

/** dist/console beside the compiled server (dist/src/http), or under the checkout when run from src (tests). */
export function consoleDir(): string {
  const root = path.resolve(__dirname, '..', '..');
  return path.basename(root) === 'dist' ? path.join(root, 'console') : path.join(root, 'dist', 'console');
}

export function consoleRouter(settings: ConsoleSettings = { clientId: 'fhirstone-console', connectSources: [] }, dir = consoleDir()): Router {
  const router = express.Router();
  const csp = consoleCsp(settings.connectSources);
  router.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', csp);
    next();
  });
  router.get('/config.json', (_req: Request, res: Response) => {
    res.json({ clientId: settings.clientId, scope: settings.scope });
  });
  // Cache-Control stays the server's no-store (security-headers.ts): the page is small and never outlives a deploy.
  router.use(express.static(dir, { index: false, cacheControl: false, fallthrough: true }));
  router.get('/{*path}', (_req: Request, res: Response) => {
    const page = path.join(dir, 'index.html');
    if (!fs.existsSync(page)) {
      res.status(404).type('text/plain').send('The console is not built: run `npm run build`.');
      return;
    }
    res.type('html').sendFile(page);
  });
  return router;
}
