import { prefixUpperBound } from '../../src/search/normalize';

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const below = (a: string, b: string) => Buffer.compare(utf8(a), utf8(b)) < 0;

describe('prefixUpperBound (MongoDB UTF-8 byte order)', () => {
  it('raises the last code point by one', () => {
    expect(prefixUpperBound('li')).toBe('lj');
    expect(prefixUpperBound('l\u{2000B}')).toBe('l\u{2000C}');
  });
  it('sits above every continuation of the prefix in byte order', () => {
    for (const tail of ['', 'z', '\uffff', '\u{2000B}', '\u{10FFFF}\u{10FFFF}']) expect(below(`li${tail}`, prefixUpperBound('li')!)).toBe(true);
  });
  it('skips the surrogate range, which UTF-8 cannot carry', () => {
    expect(prefixUpperBound('a\ud7ff')).toBe('a\ue000');
  });
  it('drops trailing maximal code points, and has no bound when nothing is left', () => {
    expect(prefixUpperBound('a\u{10FFFF}')).toBe('b');
    expect(prefixUpperBound('\u{10FFFF}')).toBeUndefined();
    expect(prefixUpperBound('')).toBeUndefined();
  });
});
