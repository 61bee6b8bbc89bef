import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

/** The site's SMART issuer for a sign-in test: oidc-provider in a process of its own (oauth-server.mjs). */
export interface OAuthServer {
  issuer: string;
  /** Tells it the FHIR base (the tokens' audience), the console's client and the scopes its users are granted (by login). */
  configure(site: { audience: string; clientId: string; redirectUri: string; scope: string; scopes?: Record<string, string> }): Promise<void>;
  close(): Promise<void>;
}

export async function startOAuthServer(): Promise<OAuthServer> {
  const child: ChildProcess = spawn(process.execPath, [path.join(__dirname, 'oauth-server.mjs')], { stdio: ['pipe', 'pipe', 'ignore'] });
  const lines = readline.createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const { value, done } = await lines.next();
    if (done) throw new Error('the OAuth server stopped');
    return JSON.parse(value) as Record<string, unknown>;
  };
  const { issuer } = (await next()) as { issuer: string };
  return {
    issuer,
    async configure(site) {
      child.stdin!.write(`${JSON.stringify(site)}\n`);
      await next();
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill();
      }),
  };
}
