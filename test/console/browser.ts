import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (no browser download: .ci/run installs the `chromium` package when
 * /usr/bin/chromium is missing). The flags keep it off the network it would otherwise call at start.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const ROOT = path.join(__dirname, '..', '..');

/** The console as `npm run build` makes it, built here when its sources are newer (esbuild, a few seconds). */
export function buildConsole(): void {
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-console.js'), '--if-needed'], { cwd: ROOT, stdio: 'inherit' });
}

/** Chromium headless, with a fresh empty profile (playwright makes one per launch and removes it on close). */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A new page of the browser (10 s to find anything) and the errors it logs (collectErrors). */
export async function openPage(browser: Browser): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  return { page, errors: collectErrors(page) };
}

/** Every message the page logged as an error (a refused script or style under the CSP shows up here). */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and AA rules), as
 * "rule: target" lines. axe runs through the DevTools protocol, which the page's CSP does not govern.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  // A string, run in the page: this file is type-checked without the DOM's types.
  const violations: Array<{ id: string; impact: string; targets: string[] }> = await page.evaluate(`
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }).then((r) =>
      r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => String(n.target)) })))`);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.targets.join(' | ')}`);
}
