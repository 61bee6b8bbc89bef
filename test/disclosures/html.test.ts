import { type SecureServer } from '../security/support';
import { LAW_FIRM, client, recordedDisclosure, seedPatient, startDisclosureServer } from './support';

/**
 * The printable accounting (`$disclosures` with `_format=html` or `Accept: text/html`): every text a client chose
 * (recipient names and addresses, descriptions) is escaped, and the page runs no script.
 */
let server: SecureServer;
const P = 'html-1';

beforeAll(async () => {
  server = await startDisclosureServer();
  await seedPatient(server, P);
  expect((await (await client(server, 'law-app', 'system/*.rs')).json('GET', `Observation/obs-${P}`)).status).toBe(200);
  const recorded = recordedDisclosure(P);
  recorded.entity![0].description = '<script>alert("x")</script> & the "chart"';
  expect((await server.system.json('POST', 'AuditEvent', recorded)).status).toBe(201);
  expect((await server.system.json('GET', 'AuditEvent/$verify-chain')).status).toBe(200);
});
afterAll(() => server.close());

async function page(path: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string | null; csp: string | null; text: string }> {
  const token = await server.sign({ scope: 'system/*.*' });
  const res = await server.api(path, { headers: { authorization: `Bearer ${token}`, ...headers } });
  return { status: res.status, type: res.headers.get('content-type'), csp: res.headers.get('content-security-policy'), text: await res.text() };
}

describe('the printable accounting', () => {
  it('is served as text/html with _format=html, and to a browser asking for text/html first', async () => {
    const byFormat = await page(`Patient/${P}/$disclosures?_format=html`);
    expect(byFormat.status).toBe(200);
    expect(byFormat.type).toBe('text/html; charset=utf-8');
    expect(byFormat.text).toMatch(/^<!DOCTYPE html>/);
    const byAccept = await page(`Patient/${P}/$disclosures`, { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' });
    expect(byAccept.type).toBe('text/html; charset=utf-8');
    // A FHIR client still gets the document.
    expect((await page(`Patient/${P}/$disclosures`, { accept: 'application/fhir+json' })).type).toMatch(/^application\/fhir\+json/);
  });

  it('escapes the recipient, its address and the description, and states the patient and period', async () => {
    const { text } = await page(`Patient/${P}/$disclosures?_format=html`);
    expect(text).toContain('Smith &amp; &lt;Jones&gt; LLP');
    expect(text).toContain('Suite &lt;b&gt;5&lt;/b&gt;');
    expect(text).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; the &quot;chart&quot;');
    expect(text).not.toContain(LAW_FIRM);
    expect(text).not.toContain('<script>');
    expect(text).not.toContain('<b>5');
    expect(text).toContain('Alpha Adams (Patient/html-1)');
    expect(text).toMatch(/Period: \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}/);
  });

  it('runs no script and loads nothing: its CSP allows only its own style sheet', async () => {
    const { csp, text } = await page(`Patient/${P}/$disclosures?_format=html`);
    expect(csp).toMatch(/^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; frame-ancestors 'none'/);
    expect(text).not.toMatch(/<script|<img|<link|src=/i);
  });

  it('is kept as delivered: the log holds the HTML page', async () => {
    const { text } = await page(`Patient/${P}/$disclosures?_format=html&start=2020-01-01`);
    const log = await server.system.json('GET', `DocumentReference?patient=${P}&_count=100`);
    const html = log.body.entry.map((e: { resource: { content: Array<{ attachment: { contentType: string; data: string } }> } }) => e.resource.content[0].attachment);
    expect(html.some((a: { contentType: string; data: string }) => a.contentType === 'text/html' && Buffer.from(a.data, 'base64').toString('utf8') === text)).toBe(true);
  });

  it('is not offered by other routes: text/html elsewhere is still 406', async () => {
    expect((await page(`Patient/${P}?_format=html`)).status).toBe(406);
  });
});
