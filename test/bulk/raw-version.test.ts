import { BSON } from 'bson';
import { rawVersion } from '../../src/bulk/raw-version';

const bson = (doc: object) => Buffer.from(BSON.serialize(doc));

describe('reading a stored version from its BSON', () => {
  it('gives the id, lastUpdated in milliseconds, the deletion flag, and the resource JSON as its UTF-8 bytes', () => {
    const r = JSON.stringify({ resourceType: 'Patient', id: 'p-1', name: [{ family: 'Ōtsuka', given: ['Zoë'] }] });
    const lu = new Date('2024-05-06T07:08:09.123Z');
    const v = rawVersion(bson({ _id: 'p-1', vid: 3, lu, del: false, r }));
    expect(v).toEqual({ _id: 'p-1', lu: lu.getTime(), del: false, r: Buffer.from(r) });
    expect(v.r.toString('utf8')).toBe(r);
  });

  it('reads a deletion marker, in whatever order the fields come', () => {
    const lu = new Date('2025-01-01T00:00:00Z');
    expect(rawVersion(bson({ del: true, lu, r: '', _id: 'gone' }))).toEqual({ _id: 'gone', lu: lu.getTime(), del: true, r: Buffer.alloc(0) });
  });
});
