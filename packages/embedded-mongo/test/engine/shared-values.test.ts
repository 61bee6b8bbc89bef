import { Binary, BSON, Decimal128, Long, ObjectId } from 'bson';
import { Collection } from '../../src/engine/collection';
import { SharedValues } from '../../src/engine/shared-values';

const decoded = (doc: Record<string, unknown>) => BSON.deserialize(BSON.serialize(doc), { promoteLongs: true, promoteValues: true });

describe('shared values', () => {
  it('leaves a compacted document exactly as it was', () => {
    const doc = decoded({
      _id: 'a',
      r: `{"resourceType":"Patient","text":"${'x'.repeat(300)}"}`,
      s: {
        e: [
          { p: 'code', v: '1234-5', sy: 'http://loinc.org' },
          { p: 'status', v: 'final' },
        ],
        o: { date: { a: new Date(5), d: new Date(5) } },
      },
      c: ['Patient/1'],
      nested: [[1, 'two', [3]], [], { deep: ['é', '', 'x'] }],
      values: { id: new ObjectId(), bin: new Binary(Buffer.from([1, 2])), n: 1.5, big: Long.fromNumber(2 ** 40), dec: Decimal128.fromString('1.1') },
      flag: true,
      nil: null,
    });
    const before = BSON.serialize(doc);
    new SharedValues().compact(doc);
    expect(Buffer.from(BSON.serialize(doc)).equals(Buffer.from(before))).toBe(true);
  });

  it('replaces arrays with copies and keeps BSON values as they are', () => {
    const doc = decoded({ c: ['Patient/1', 'Patient/2'], e: [], id: new ObjectId() });
    const { c, e, id } = doc;
    new SharedValues().compact(doc);
    expect(doc.c).not.toBe(c);
    expect(doc.c).toEqual(['Patient/1', 'Patient/2']);
    expect(doc.e).toBe(e);
    expect(doc.id).toBe(id);
  });

  it('shares a date between documents that hold the same instant', () => {
    const values = new SharedValues();
    const a = decoded({ lu: new Date(1000), s: { r: [{ lo: new Date(1000), hi: new Date(1999) }] } });
    const b = decoded({ lu: new Date(1000), at: [new Date(1999)] });
    values.compact(a);
    values.compact(b);
    const range = (a.s as { r: Array<{ lo: Date; hi: Date }> }).r[0];
    expect(b.lu).toBe(a.lu);
    expect(range.lo).toBe(a.lu);
    expect((b.at as Date[])[0]).toBe(range.hi);
    expect(range.hi.getTime()).toBe(1999);
  });

  it('keeps an own __proto__ field as an own field', () => {
    const doc = BSON.deserialize(BSON.serialize(JSON.parse('{"__proto__": {"a": "b"}, "x": "y"}')));
    new SharedValues().compact(doc);
    expect(Object.getPrototypeOf(doc)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(doc, '__proto__')?.value).toEqual({ a: 'b' });
  });

  it('holds a bounded number of strings however many distinct ones pass', () => {
    const values = new SharedValues();
    for (let i = 0; i < 300_000; i++) values.string(`code-${i}`);
    for (let i = 0; i < 20_000; i++) values.string(`${'long text '.repeat(20)}${i}`);
    const { short, long } = values.entries;
    expect(short).toBeLessThanOrEqual(2 * 65_536);
    expect(long).toBeLessThanOrEqual(2 * 4_096);
  });

  it('keeps every long string during replay and lets them go when it ends', () => {
    const values = new SharedValues();
    values.beginReplay();
    for (let i = 0; i < 10_000; i++) values.string(`${'long text '.repeat(20)}${i}`);
    expect(values.entries.long).toBe(10_000);
    values.endReplay();
    expect(values.entries.long).toBe(0);
  });

  it('tells apart long strings that share a fingerprint', () => {
    const values = new SharedValues();
    const a = `${'a'.repeat(100)}1${'b'.repeat(100)}`;
    const b = `${'a'.repeat(100)}2${'b'.repeat(100)}`;
    expect(values.string(a)).toBe(a);
    expect(values.string(b)).toBe(b);
    expect(values.string(a)).toBe(a);
  });

  it('compacts documents as a collection stores them, versions and indexes intact', () => {
    const coll = new Collection('db', 'c');
    coll.addIndex({ key: { 's.e.p': 1, 's.e.v': 1 }, name: 'e' });
    coll.commit('1', decoded({ _id: '1', s: { e: [{ p: 'code', v: 'x' }] } }), 1, Infinity);
    coll.commit(
      '2',
      decoded({
        _id: '2',
        s: {
          e: [
            { p: 'code', v: 'x' },
            { p: 'code', v: 'y' },
          ],
        },
      }),
      2,
      Infinity,
    );
    expect(coll.visible('2', Infinity)).toEqual({
      _id: '2',
      s: {
        e: [
          { p: 'code', v: 'x' },
          { p: 'code', v: 'y' },
        ],
      },
    });
    const index = coll.indexes.get('e')!;
    expect([...index.scan([{ lo: '', hi: '\u00ff' }], false)]).toEqual(['1', '2', '2']);
  });
});
