import { type BackendServer, startBackendServer } from './backend-client';

/** The token endpoint reads its form exactly as sent (RFC 6749 §3.2: parameters must not be included more than once). */
let server: BackendServer;
beforeAll(async () => {
  server = await startBackendServer();
});
afterAll(() => server.close());

const formText = (form: Record<string, string>) => new URLSearchParams(form).toString();

describe('the token endpoint form', () => {
  it('issues a token for a valid form (the baseline the refusals below differ from)', async () => {
    const res = await server.requestToken(await server.validForm());
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('system/*.rs');
  });

  it.each(['scope', 'grant_type', 'client_assertion', 'client_assertion_type'])(
    'returns 400 invalid_request when %s is repeated, even with the same value',
    async (name) => {
      const form = await server.validForm();
      const res = await server.requestToken(`${formText(form)}&${formText({ [name]: form[name] })}`);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid_request', error_description: `parameter ${name} is repeated` });
      expect(res.headers.get('cache-control')).toBe('no-store');
    },
  );

  it('returns 400 invalid_request for a parameter repeated in array syntax (scope[]=...)', async () => {
    const form = await server.validForm();
    const res = await server.requestToken(`${formText(form)}&scope%5B%5D=system%2F*.rs&scope%5B%5D=system%2FPatient.rs`);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });

  it('returns 400 invalid_request when the form is not application/x-www-form-urlencoded', async () => {
    const res = await server.requestToken(JSON.stringify(await server.validForm()), { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_request');
  });
});
