import { allPages, expectOutcome, getAbsolute, patient, put, serverForThisFile } from './support';

const server = serverForThisFile();

/** `id/vid` of a history entry, from its fullUrl and ETag. */
const key = (e: any) => `${e.fullUrl.split('/').slice(-2).join('/')}@${e.response.etag}`;
const times = (entries: any[]) => entries.map((e) => Date.parse(e.response.lastModified));
const isNewestFirst = (entries: any[]) => times(entries).every((t, i, all) => i === 0 || all[i - 1] >= t);

async function organisationVersions(id: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await put(server(), { resourceType: 'Organization', id, name: `Org ${id} v${i + 1}` });
}

describe('instance history (GET [type]/[id]/_history)', () => {
  beforeAll(async () => {
    await put(server(), patient({ id: 'h-inst', gender: 'female' }));
    await put(server(), patient({ id: 'h-inst', gender: 'male' }));
    await server().json('DELETE', 'Patient/h-inst');
  });

  it('is a Bundle of type history with every version, newest first', async () => {
    const res = await server().json('GET', 'Patient/h-inst/_history');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'history' });
    expect(res.body.entry.map((e: any) => e.response.etag)).toEqual(['W/"3"', 'W/"2"', 'W/"1"']);
    expect(isNewestFirst(res.body.entry)).toBe(true);
  });

  it('records each interaction: POST/PUT for writes, DELETE without a resource for the deletion', async () => {
    const [deletion, update, create] = (await server().json('GET', 'Patient/h-inst/_history')).body.entry;
    expect(deletion.request).toEqual({ method: 'DELETE', url: 'Patient/h-inst' });
    expect(deletion.resource).toBeUndefined();
    expect(update.request.method).toBe('PUT');
    expect(update.resource).toMatchObject({ id: 'h-inst', gender: 'male', meta: { versionId: '2' } });
    expect(create.resource).toMatchObject({ gender: 'female', meta: { versionId: '1' } });
    expect(create.fullUrl).toBe(`${server().baseUrl}/Patient/h-inst`);
  });

  it('lists versions in strictly descending version order even when written in the same millisecond', async () => {
    // Only Date is faked (timers run as usual), so every version is written at the same clock reading.
    jest.useFakeTimers({
      now: Date.now(),
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'requestAnimationFrame',
        'cancelAnimationFrame',
        'requestIdleCallback',
        'cancelIdleCallback',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
    try {
      await organisationVersions('h-rapid', 12);
    } finally {
      jest.useRealTimers();
    }
    const res = await server().json('GET', 'Organization/h-rapid/_history');
    const vids = res.body.entry.map((e: any) => Number(e.resource.meta.versionId));
    expect(vids).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('returns 404 for a resource that never existed', async () => {
    expectOutcome(await server().json('GET', 'Patient/h-nobody/_history'), 404);
  });
});

describe('type history (GET [type]/_history)', () => {
  beforeAll(async () => {
    await put(server(), { resourceType: 'Practitioner', id: 'h-pr-1', name: [{ family: 'One' }] });
    await put(server(), { resourceType: 'Practitioner', id: 'h-pr-2', name: [{ family: 'Two' }] });
    await put(server(), { resourceType: 'Practitioner', id: 'h-pr-1', name: [{ family: 'One again' }] });
  });

  it('holds every version of every resource of the type, and nothing of other types', async () => {
    const res = await server().json('GET', 'Practitioner/_history');
    expect(res.body.type).toBe('history');
    expect(res.body.entry.map(key).sort()).toEqual(['h-pr-1@W/"1"', 'h-pr-1@W/"2"', 'h-pr-2@W/"1"'].map((k) => `Practitioner/${k}`));
    expect(isNewestFirst(res.body.entry)).toBe(true);
    expect(res.body.entry[0].resource.name[0].family).toBe('One again');
  });

  it('is an empty history Bundle for a served type nobody wrote yet', async () => {
    const res = await server().json('GET', 'Medication/_history');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resourceType: 'Bundle', type: 'history' });
    expect(res.body.entry ?? []).toEqual([]);
  });
});

describe('system history (GET [base]/_history)', () => {
  it('holds versions of all types, newest first', async () => {
    await put(server(), { resourceType: 'Practitioner', id: 'h-sys', name: [{ family: 'System' }] });
    await put(server(), patient({ id: 'h-sys' }));
    const { entries } = await allPages(server(), '_history?_count=1000');
    const keys = entries.map(key);
    expect(keys).toContain('Practitioner/h-sys@W/"1"');
    expect(keys).toContain('Patient/h-sys@W/"1"');
    expect(isNewestFirst(entries)).toBe(true);
  });
});

describe('history paging (_count and next links)', () => {
  beforeAll(async () => {
    await organisationVersions('h-page-a', 9);
    await organisationVersions('h-page-b', 4);
  });

  it('splits instance history into pages of _count and visits every version exactly once', async () => {
    const { entries, pages } = await allPages(server(), 'Organization/h-page-a/_history?_count=4');
    expect(pages).toBe(3);
    expect(entries.map((e) => e.response.etag)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1].map((v) => `W/"${v}"`));
  });

  it('pages type history without duplicates or gaps, in the same order as one large page', async () => {
    const { entries: paged } = await allPages(server(), 'Organization/_history?_count=3');
    const whole = (await server().json('GET', 'Organization/_history?_count=1000')).body.entry;
    expect(paged.map(key)).toEqual(whole.map(key));
    expect(new Set(paged.map(key)).size).toBe(paged.length);
  });

  it('keeps a page stable when new versions are written while paging', async () => {
    const first = await server().json('GET', 'Organization/h-page-b/_history?_count=2');
    const next = first.body.link.find((l: any) => l.relation === 'next').url;
    await organisationVersions('h-page-b', 1);
    const second = (await getAbsolute(next)).body;
    expect([...first.body.entry, ...second.entry].map((e: any) => e.response.etag)).toEqual(['W/"4"', 'W/"3"', 'W/"2"', 'W/"1"']);
  });

  it('has a self link and no next link on the last page', async () => {
    const res = await server().json('GET', 'Organization/h-page-a/_history?_count=100');
    const relations = res.body.link.map((l: any) => l.relation);
    expect(relations).toContain('self');
    expect(relations).not.toContain('next');
  });

  it('returns no entries and no next link for _count=0', async () => {
    const res = await server().json('GET', 'Organization/h-page-a/_history?_count=0');
    expect(res.status).toBe(200);
    expect(res.body.entry ?? []).toEqual([]);
    expect(res.body.link.map((l: any) => l.relation)).not.toContain('next');
  });

  it('rejects a _count that is not a number and a page token it did not issue with 400', async () => {
    expectOutcome(await server().json('GET', 'Organization/_history?_count=many'), 400);
    expectOutcome(await server().json('GET', 'Organization/_history?_count=-1'), 400);
    expectOutcome(await server().json('GET', 'Organization/_history?_page=not-a-token'), 400);
  });
});

describe('history paging across types, with writes between pages', () => {
  /** Only Date is faked (timers run as usual): every write in `fn` happens at the same clock reading. */
  async function inOneMillisecond(fn: () => Promise<void>): Promise<number> {
    const now = Date.now();
    jest.useFakeTimers({
      now,
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'requestAnimationFrame',
        'cancelAnimationFrame',
        'requestIdleCallback',
        'cancelIdleCallback',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
    try {
      await fn();
    } finally {
      jest.useRealTimers();
    }
    return now;
  }
  const nextUrl = (body: any): string | undefined => body.link.find((l: any) => l.relation === 'next')?.url;

  it('visits every version once, in the order of one large page, though versions of several types share a millisecond and more are written between pages', async () => {
    const at = await inOneMillisecond(async () => {
      for (const i of [1, 2, 3]) {
        await put(server(), { resourceType: 'Organization', id: `h-mix-${i}`, name: `Org ${i}` });
        await put(server(), { resourceType: 'Practitioner', id: `h-mix-${i}`, name: [{ family: `Mix ${i}` }] });
        await put(server(), { resourceType: 'Location', id: `h-mix-${i}`, name: `Room ${i}` });
      }
    });
    const query = `_history?_since=${encodeURIComponent(new Date(at).toISOString())}`;
    // The audit trail writes its events on its own schedule: they may join the history between any two requests.
    const written = (keys: string[]) => keys.filter((k) => !k.startsWith('AuditEvent/'));
    const whole = written((await server().json('GET', `${query}&_count=1000`)).body.entry.map(key));
    expect(whole).toHaveLength(9);

    const paged: string[] = [];
    let res = (await server().json('GET', `${query}&_count=2`)).body;
    for (let pages = 1; ; pages++) {
      paged.push(...res.entry.map(key));
      const next = nextUrl(res);
      if (!next) break;
      expect(pages).toBeLessThan(100);
      // Newer versions of resources already listed and of ones still to come, and a new resource: none of them
      // belongs to a history that started before they were written.
      await put(server(), { resourceType: 'Practitioner', id: `h-mix-${(pages % 3) + 1}`, name: [{ family: `Again ${pages}` }] });
      await put(server(), { resourceType: 'Organization', id: `h-mix-new-${pages}`, name: 'New' });
      res = (await getAbsolute(next)).body;
    }
    expect(new Set(paged).size).toBe(paged.length);
    expect(written(paged)).toEqual(whole);
  });

  it('continues a type history after a page that ends inside a millisecond', async () => {
    await inOneMillisecond(async () => {
      for (const i of [1, 2, 3, 4, 5]) await put(server(), { resourceType: 'Device', id: `h-ms-${i}` });
    });
    const { entries, pages } = await allPages(server(), 'Device/_history?_count=2');
    expect(pages).toBe(3);
    expect(entries.map(key)).toEqual([5, 4, 3, 2, 1].map((i) => `Device/h-ms-${i}@W/"1"`));
  });

  it.each([
    ['a search token continuing backwards', { k: [{ d: 0 }, 'Patient', 'x/1'], b: 1 }],
    ['a token of another order', { k: [{ d: 0 }, 'x/1'], b: 0 }],
    ['a token whose time is text', { k: ['2024-01-01', 'Patient', 'x/1'], b: 0 }],
    ['a token holding an operator', { k: [{ $gt: '' }, 'Patient', 'x/1'], b: 0 }],
  ])('rejects %s with 400', async (_what, token) => {
    const page = Buffer.from(JSON.stringify(token)).toString('base64url');
    const res = await server().json('GET', `_history?_page=${page}`);
    expectOutcome(res, 400);
    expect(res.body.issue.map((i: any) => i.diagnostics)).toContain('_page is not a page token this server issued');
  });
});

describe('_since', () => {
  it('keeps only versions last updated at or after the instant', async () => {
    await organisationVersions('h-since', 6);
    const all = (await server().json('GET', 'Organization/h-since/_history')).body.entry;
    const since = all[2].response.lastModified as string;
    const expected = all.filter((e: any) => Date.parse(e.response.lastModified) >= Date.parse(since)).map(key);
    const res = await server().json('GET', `Organization/h-since/_history?_since=${encodeURIComponent(since)}`);
    expect(res.body.entry.map(key)).toEqual(expected);
    expect(res.body.entry.length).toBeGreaterThanOrEqual(3);
    expect(res.body.entry.length).toBeLessThan(6 + 1);
  });

  it('accepts a date with a time-zone offset and returns nothing for a future instant', async () => {
    const res = await server().json('GET', `Organization/_history?_since=${encodeURIComponent('2999-01-01T00:00:00+01:00')}`);
    expect(res.status).toBe(200);
    expect(res.body.entry ?? []).toEqual([]);
  });

  it('rejects a _since that is not a FHIR instant with 400', async () => {
    expectOutcome(await server().json('GET', 'Organization/_history?_since=yesterday'), 400);
    expectOutcome(await server().json('GET', 'Organization/_history?_since=2024-13-45T99:00:00Z'), 400);
  });

  it('rejects a _since on a day or at a time the calendar does not have, rather than rolling it over', async () => {
    for (const since of ['2023-02-29', '2024-04-31T00:00:00Z', '2024-01-01T24:00:00Z']) {
      const res = await server().json('GET', `Organization/_history?_since=${encodeURIComponent(since)}`);
      expectOutcome(res, 400);
      expect(res.body.issue.map((i: any) => i.diagnostics)).toContain(`_since is not a real date: "${since}"`);
    }
  });
});
