import { expectOutcome, patient, serverForThisFile } from '../router/support';

const server = serverForThisFile({ BODY_LIMIT: '2kb' });

const withText = (bytes: number) => patient({ text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'x'.repeat(bytes)}</div>` } });

describe('413 Payload Too Large (BODY_LIMIT=2kb)', () => {
  it('accepts a body under the limit', async () => {
    expect((await server().json('POST', 'Patient', withText(1000))).status).toBe(201);
  });

  it('answers 413 with an OperationOutcome for a body over the limit, and stores nothing', async () => {
    const res = await server().json('PUT', 'Patient/too-big', { ...withText(5000), id: 'too-big' });
    expectOutcome(res, 413);
    expect((await server().json('GET', 'Patient/too-big')).status).toBe(404);
  });

  it('answers 413 for a body far over the limit, sent in chunks without Content-Length', async () => {
    const chunk = new TextEncoder().encode(' '.repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 64) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await server().api('Patient', { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body, duplex: 'half' } as RequestInit);
    // The server reads the rest of the body and discards it, then answers: the client sees the answer, not a cut.
    expectOutcome({ status: res.status, headers: res.headers, body: await res.json() }, 413);
    expect(sent).toBe(65);
  });

  it('applies the limit to JSON Patch bodies too', async () => {
    const ops = Array.from({ length: 200 }, () => ({ op: 'add', path: '/identifier/-', value: { value: 'xxxxxxxxxx' } }));
    expectOutcome(await server().json('PATCH', 'Patient/anything', ops, { 'content-type': 'application/json-patch+json' }), 413);
  });
});
