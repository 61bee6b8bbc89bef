import type { Browser, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server';
import { axeViolations, buildConsole, launch, openPage } from './browser';
import { type OAuthServer, startOAuthServer } from './oauth-server';

/**
 * The console against a server that takes tokens of an external SMART issuer: a real authorization server
 * (oidc-provider, in its own process) that grants this user patients, encounters and conditions but not the audit
 * trail. The console signs in as a public client with PKCE through the issuer's own sign-in and consent pages,
 * then shows what the token allows and says "not allowed" where it does not.
 */
const CLIENT_ID = 'records-console';
const GRANTED = ['Patient', 'Encounter', 'Condition', 'DocumentReference', 'Task', 'Practitioner'].map((t) => `user/${t}.cruds`).join(' ');

describe('the records console signed in at an external SMART issuer', () => {
  let oauth: OAuthServer;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    buildConsole();
    oauth = await startOAuthServer();
    server = await startTestServer({
      SMART_ISSUER: oauth.issuer,
      SMART_JWKS_URI: `${oauth.issuer}/jwks`,
      SMART_AUTHORIZE_ENDPOINT: `${oauth.issuer}/auth`,
      SMART_TOKEN_ENDPOINT: `${oauth.issuer}/token`,
      CONSOLE_CLIENT_ID: CLIENT_ID,
    });
    // Two directors of health information may do everything (and so review and approve destructions).
    const scopes = { 'director-1': 'user/*.cruds', 'director-2': 'user/*.cruds' };
    await oauth.configure({ audience: server.baseUrl, clientId: CLIENT_ID, redirectUri: `${server.url}/console/callback`, scope: GRANTED, scopes });
    const patient = { resourceType: 'Patient', id: 'smart-1', name: [{ family: 'Okafor', given: ['Ada'] }], birthDate: '1970-04-02' };
    await server.systemRepo.update('Patient', 'smart-1', patient);
    // Last seen in 2001: the example retention policy's adult rule (10 years after the last encounter) makes the
    // record eligible for destruction since 2011.
    const encounter = {
      resourceType: 'Encounter',
      id: 'smart-enc',
      status: 'finished',
      class: { code: 'AMB' },
      subject: { reference: 'Patient/smart-1' },
      period: { start: '2001-05-01', end: '2001-05-01' },
    };
    await server.systemRepo.update('Encounter', 'smart-enc', encounter);

    browser = await launch();
    ({ page, errors } = await openPage(browser));
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await oauth?.close();
  });
  afterEach(() => expect(errors).toEqual([]));

  it('asks the user to sign in (the API answers 401 without a token), under a CSP that admits the issuer for the token exchange', async () => {
    expect((await server.api('Patient')).status).toBe(401);
    const res = await page.goto(`${server.url}/console/audit`);
    expect(res?.headers()['content-security-policy']).toContain(`connect-src 'self' ${oauth.issuer};`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Pages' }).getByRole('link').count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
  });

  /** From the console's sign-in page through the issuer's sign-in and consent pages, back to `returnTo`. */
  async function signIn(login: string, returnTo: string) {
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${oauth.issuer}/**`);
    await page.getByPlaceholder('Enter any login').fill(login);
    await page.getByPlaceholder('and password').fill('any');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${server.url}/console${returnTo}`);
    await page.getByText(`Signed in as Practitioner/${login}`).waitFor();
    errors.length = 0; // the issuer's development pages log their own messages
  }

  /** Signs out of the console, and of the issuer (its session cookie), so that the next sign-in asks who it is. */
  async function signOut() {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.context().clearCookies();
  }

  it("signs in through the issuer's sign-in and consent pages (PKCE), and comes back to the page it left", async () => {
    await signIn('clerk-1', '/audit');
  });

  it('does not show the audit trail, which the token does not allow: the page says so', async () => {
    const notice = page.getByRole('status').filter({ hasText: 'Not allowed' });
    await notice.waitFor();
    expect(await notice.textContent()).toContain('reading the audit trail');
    expect(await page.getByRole('table').count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
  });

  it('finds a patient and opens the chart with the access token', async () => {
    await page.getByRole('link', { name: 'Patients' }).click();
    await page.getByLabel('Name').fill('Okafor');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: /Okafor/ }).click();
    await page.getByRole('heading', { name: /Okafor/ }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    // Who accessed the record comes from the audit trail, which this user may not read.
    await page.getByRole('tab', { name: 'Access report' }).click();
    expect(await page.getByRole('status').filter({ hasText: 'Not allowed' }).textContent()).toContain('the access report');
  });

  it("lists this user's jobs on the operations page: none yet", async () => {
    await page.getByRole('link', { name: 'Operations' }).click();
    await page.getByText('No job yet.').waitFor();
    expect(await axeViolations(page)).toEqual([]);
  });

  it('signs out: the token is forgotten and the sign-in page is back', async () => {
    await signOut();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });
  it('destroys a record on the word of two people: one reviews, another approves through the link, and a certificate is made', async () => {
    await page.goto(`${server.url}/console/destruction`);
    await signIn('director-1', '/destruction');
    await page.getByRole('button', { name: 'Review eligible records' }).click();
    const eligible = page.getByRole('table', { name: /^Records eligible for destruction/ });
    await eligible.getByRole('link', { name: 'Patient/smart-1' }).waitFor();
    const link = page.getByRole('link', { name: 'approval of this review' });
    const approval = (await link.getAttribute('href')) as string;
    // The reviewer cannot approve its own review: the server refuses, and the page shows why.
    await link.click();
    await page.getByRole('button', { name: 'Approve and destroy' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Destroy the records' }).click();
    await page
      .getByRole('dialog')
      .getByText(/two-person rule/)
      .waitFor();
    expect(await axeViolations(page)).toEqual([]);
    errors.length = 0; // the browser logs the refusal (403) of the API call itself
    await page.keyboard.press('Escape');
    await signOut();

    await page.goto(`${server.url}${approval}`);
    await signIn('director-2', approval.replace(/^\/console/, ''));
    await eligible.getByRole('link', { name: 'Patient/smart-1' }).waitFor();
    await page.getByRole('button', { name: 'Approve and destroy' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Destroy the records' }).click();
    await page.getByRole('status').filter({ hasText: 'Certificate of destruction' }).waitFor({ timeout: 60_000 });
    expect(await server.systemRepo.exists('Patient', 'smart-1')).toBe(false);
    // The certificate is shown under it: its summary (read from its JSON) and its PDF in the document viewer.
    const certificateShown = async () => {
      expect(
        await page
          .getByRole('row', { name: /^Records destroyed/ })
          .getByRole('cell')
          .textContent(),
      ).toBe('1');
      expect(await page.getByRole('row', { name: /^Approved/ }).textContent()).toContain('Practitioner/director-2');
      await page.getByTitle('Document (PDF)').waitFor();
      await page.getByRole('link', { name: /^Download \(application\/pdf/ }).waitFor();
      expect(await axeViolations(page)).toEqual([]);
    };
    await certificateShown();
    // It is kept with the others, and opens from their list.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Destruction certificates' }).click();
    await page
      .getByRole('table', { name: /^Certificates of destruction/ })
      .getByRole('link')
      .click();
    await certificateShown();
  });
});
