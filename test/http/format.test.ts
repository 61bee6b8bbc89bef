import { wantsHtml } from '../../src/http/format';
import { expectOutcome, patient, put, serverForThisFile } from '../router/support';

const server = serverForThisFile();

const get = (path: string, accept?: string) => server().api(path, { headers: accept ? { accept } : {} });
const outcomeOf = async (res: Response) => ({ status: res.status, headers: res.headers, body: JSON.parse(await res.text()) });

beforeAll(async () => {
  await put(server(), patient({ id: 'fmt-1' }));
});

describe('content negotiation with Accept', () => {
  it('answers application/fhir+json by default and for Accept: application/fhir+json or */*', async () => {
    for (const accept of [undefined, 'application/fhir+json', '*/*', 'application/fhir+json;q=0.9, */*;q=0.1']) {
      const res = await get('Patient/fmt-1', accept);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/fhir+json; charset=utf-8');
    }
  });

  it('answers application/json when that is what the client accepts', async () => {
    const res = await get('Patient/fmt-1', 'application/json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(((await res.json()) as { id: string }).id).toBe('fmt-1');
  });

  it('answers 406 with an OperationOutcome in JSON for Accept: application/fhir+xml', async () => {
    const res = await get('Patient/fmt-1', 'application/fhir+xml');
    expectOutcome(await outcomeOf(res), 406);
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json/);
  });

  it('answers 406 for a media type the server does not produce at all', async () => {
    expectOutcome(await outcomeOf(await get('Patient/fmt-1', 'text/html')), 406);
  });
});

describe('_format', () => {
  it('accepts json, application/json and application/fhir+json', async () => {
    expect((await get('Patient/fmt-1?_format=json')).headers.get('content-type')).toMatch(/^application\/fhir\+json/);
    expect((await get('Patient/fmt-1?_format=application/fhir%2Bjson')).status).toBe(200);
    expect((await get('Patient/fmt-1?_format=application/json')).headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('overrides Accept', async () => {
    const res = await get('Patient/fmt-1?_format=json', 'application/fhir+xml');
    expect(res.status).toBe(200);
  });

  it('answers 406 for _format=xml', async () => {
    for (const format of ['xml', 'application/fhir%2Bxml', 'text/turtle']) {
      expectOutcome(await outcomeOf(await get(`Patient/fmt-1?_format=${format}`)), 406);
    }
  });
});

describe('_pretty', () => {
  it('_pretty=true indents the JSON, without changing its content', async () => {
    const pretty = await (await get('Patient/fmt-1?_pretty=true')).text();
    const compact = await (await get('Patient/fmt-1')).text();
    expect(pretty).toMatch(/\n {2}"resourceType": "Patient"/);
    expect(compact).not.toMatch(/\n/);
    expect(JSON.parse(pretty)).toEqual(JSON.parse(compact));
  });

  it('applies to error responses and to responses of writes', async () => {
    expect(await (await get('Patient/fmt-nobody?_pretty=true')).text()).toMatch(/\n/);
    const res = await server().api('Patient?_pretty=true', {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify(patient()),
    });
    expect(res.status).toBe(201);
    expect(await res.text()).toMatch(/\n/);
  });

  it('_pretty=false keeps the compact form', async () => {
    expect(await (await get('Patient/fmt-1?_pretty=false')).text()).not.toMatch(/\n/);
  });
});

describe('a printable HTML page, on the routes that offer one', () => {
  it.each([
    ['a browser', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', undefined, true],
    ['XHTML first', 'application/xhtml+xml', undefined, true],
    ['text/html ranked by q below FHIR JSON', 'text/html;q=0.5, application/fhir+json', undefined, false],
    ['text/html with q=0', 'text/html;q=0, */*', undefined, false],
    ['curl', '*/*', undefined, false],
    ['no Accept', undefined, undefined, false],
    ['_format=html over any Accept', 'application/fhir+json', 'html', true],
    ['_format=json over a browser Accept', 'text/html', 'json', false],
  ])('is chosen for %s', (_who, accept, format, html) => {
    expect(wantsHtml(accept, format)).toBe(html);
  });
});
