import type { Bundle, FhirResource } from 'fhir/r4';
import { openTestDb, save, search, matchIds, BASE, type TestDb } from './helpers/store';
import { encodeToken, keysetFilter, sortKeyDefs } from '../../src/search/paging';

function linkQuery(b: Bundle, relation: string): string | undefined {
  const url = b.link?.find((l) => l.relation === relation)?.url;
  return url === undefined ? undefined : new URL(url).search.slice(1);
}

const patient = (id: string, family: string, birthDate?: string, given: string[] = []): FhirResource => ({
  resourceType: 'Patient',
  id,
  name: [{ family, given }],
  ...(birthDate ? { birthDate } : {}),
});

describe('_sort (spec 3.1.1.5.2)', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await openTestDb();
    await save(
      t.db,
      patient('a', 'Zed', '1990-01-01', ['Amy', 'Zoe']),
      patient('b', 'Young', '1980-01-01', ['Mia']),
      patient('c', 'Young', '1985-06-01', ['Bea']),
      patient('d', 'Xu', undefined, ['Cat']),
    );
  });
  afterAll(() => t.close());
  const order = async (q: string) => matchIds(await search(t.store, 'Patient', q));

  it('sorts ascending and descending', async () => {
    expect(await order('_sort=birthdate')).toEqual(['d', 'b', 'c', 'a']);
    expect(await order('_sort=-birthdate')).toEqual(['a', 'c', 'b', 'd']);
  });
  it('sorts by several keys', async () => {
    expect(await order('_sort=family,-birthdate')).toEqual(['d', 'c', 'b', 'a']);
  });
  it('multi-valued elements sort by their lowest value ascending and highest descending', async () => {
    // given: a = [Amy, Zoe], b = [Mia], c = [Bea], d = [Cat]
    expect(await order('_sort=given')).toEqual(['a', 'c', 'd', 'b']);
    expect(await order('_sort=-given')).toEqual(['a', 'b', 'd', 'c']);
  });
  it('sorts by _lastUpdated and _id', async () => {
    expect(await order('_sort=-_lastUpdated')).toEqual(['d', 'c', 'b', 'a']);
    expect(await order('_sort=-_id')).toEqual(['d', 'c', 'b', 'a']);
  });
  it('pages one by one through resources that lack the sort value, in both directions', async () => {
    for (const sort of ['birthdate', '-birthdate', 'family,-birthdate']) {
      const all = await order(`_sort=${sort}`);
      const seen: string[] = [];
      let q: string | undefined = `_sort=${sort}&_count=1`;
      while (q !== undefined && seen.length < 10) {
        const b = await search(t.store, 'Patient', q);
        seen.push(...matchIds(b));
        q = linkQuery(b, 'next');
      }
      expect(seen).toEqual(all);
    }
  });
  it('the self link shows the sort that was applied', async () => {
    const b = await search(t.store, 'Patient', '_sort=family,nope');
    expect(b.link![0].url).toBe(`${BASE}/Patient?_sort=family&_count=50`);
  });
});

describe('paging through next and previous links', () => {
  let t: TestDb;
  const N = 23;
  beforeAll(async () => {
    t = await openTestDb();
    const list = Array.from({ length: N }, (_, i) => patient(`p${String(i).padStart(2, '0')}`, ['Ames', 'Brown', 'Cole'][i % 3], `19${50 + (i % 7)}-01-01`));
    await save(t.db, ...list);
  });
  afterAll(() => t.close());

  async function walk(first: string, relation: 'next' | 'previous', between?: (page: number) => Promise<void>) {
    const pages: string[][] = [];
    let q: string | undefined = first;
    for (let page = 0; q !== undefined && page < 50; page++) {
      const b = await search(t.store, 'Patient', q);
      pages.push(matchIds(b));
      await between?.(page);
      q = linkQuery(b, relation);
    }
    return pages;
  }

  it('visits every match exactly once, in order, for several sort orders', async () => {
    for (const sort of ['_sort=family,-birthdate', '_sort=-birthdate', '', '_sort=-_lastUpdated']) {
      const all = matchIds(await search(t.store, 'Patient', `${sort}&_count=100`));
      const pages = await walk(`${sort}&_count=5`, 'next');
      expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
      expect(pages.flat()).toEqual(all);
    }
  });
  it('has no next link on the last page and no previous link on the first', async () => {
    const first = await search(t.store, 'Patient', '_count=20');
    expect(linkQuery(first, 'previous')).toBeUndefined();
    const last = await search(t.store, 'Patient', linkQuery(first, 'next')!);
    expect(matchIds(last)).toHaveLength(3);
    expect(linkQuery(last, 'next')).toBeUndefined();
    expect(linkQuery(last, 'previous')).toBeDefined();
  });
  it('previous links walk back through the same pages', async () => {
    const forward = await walk('_sort=family,-birthdate&_count=5', 'next');
    let b = await search(t.store, 'Patient', '_sort=family,-birthdate&_count=5');
    while (linkQuery(b, 'next')) b = await search(t.store, 'Patient', linkQuery(b, 'next')!);
    const back: string[][] = [matchIds(b)];
    while (linkQuery(b, 'previous')) {
      b = await search(t.store, 'Patient', linkQuery(b, 'previous')!);
      back.push(matchIds(b));
    }
    expect(back.reverse()).toEqual(forward);
  });
  it('has no duplicates or gaps while resources are inserted between pages', async () => {
    const before = new Set(matchIds(await search(t.store, 'Patient', '_count=200')));
    let n = 0;
    const pages = await walk('_sort=family&_count=4', 'next', async () => {
      // New patients land before and after the cursor.
      await save(t.db, patient(`new-a${n}`, 'Aaron'), patient(`new-z${n}`, 'Zulu'));
      n++;
    });
    const seen = pages.flat();
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of before) expect(seen).toContain(id);
    expect(seen.filter((id) => id.startsWith('new-a'))).toEqual([]);
  });
  it('_total is the count of all matches, not of the page', async () => {
    const b = await search(t.store, 'Patient', 'family=brown&_count=2');
    expect(b.total).toBe(matchIds(await search(t.store, 'Patient', 'family=brown&_count=100')).length);
    expect((await search(t.store, 'Patient', 'family=brown&_count=2&_total=none')).total).toBeUndefined();
  });
  it('caps _count at the server maximum and says so', async () => {
    const b = await search(t.store, 'Patient', '_count=500', { maxCount: 10 });
    expect(matchIds(b)).toHaveLength(10);
    expect(b.entry!.at(-1)!.search!.mode).toBe('outcome');
  });
  it.each([
    ['not base64 json', '!!!'],
    ['an object where a key belongs', Buffer.from(JSON.stringify({ k: [{ $gt: '' }, 'Patient', 'x'], b: 0 })).toString('base64url')],
    ['a token of another sort', encodeToken({ keys: ['x'], backwards: false })],
  ])('rejects a page token that is %s with 400', async (_what, token) => {
    await expect(search(t.store, 'Patient', `_cursor=${token}`)).rejects.toMatchObject({ category: 'invalid' });
  });
});

describe('continuation filter', () => {
  const keys = [
    { field: 'k.birthdate', desc: false },
    { field: '_id', desc: false },
  ];

  it('states the first sort key bound beside its branches, so the next page starts its index scan at the page', () => {
    expect(keysetFilter(keys, ['1990', 'a'], 'Patient', false)).toEqual({
      $and: [{ 'k.birthdate': { $gte: '1990' } }, { $or: [{ 'k.birthdate': { $gt: '1990' } }, { $and: [{ 'k.birthdate': '1990' }, { _id: { $gt: 'a' } }] }] }],
    });
  });

  it('adds no bound where rows without the value come after the page (descending, or missing value)', () => {
    expect(keysetFilter(keys, ['1990', 'a'], 'Patient', true)).not.toHaveProperty('$and');
    expect(keysetFilter(keys, [null, 'a'], 'Patient', false)).not.toHaveProperty('$and');
  });

  it('bounds a key every document has (lastUpdated, id) in both directions, with no branch for a missing value', () => {
    const newestFirst = sortKeyDefs([{ code: '_lastUpdated', desc: true }]);
    const lu = new Date('2024-01-01T00:00:00Z');
    expect(keysetFilter(newestFirst, [lu, 'Patient', 'a'], 'Patient', false)).toEqual({
      $and: [{ lu: { $lte: lu } }, { $or: [{ lu: { $lt: lu } }, { $and: [{ lu }, { _id: { $gt: 'a' } }] }] }],
    });
    expect(keysetFilter(newestFirst, [lu, 'Patient', 'a'], 'Patient', true)).toEqual({
      $and: [{ lu: { $gte: lu } }, { $or: [{ lu: { $gt: lu } }, { $and: [{ lu }, { _id: { $lt: 'a' } }] }] }],
    });
  });
});
