import { countKeys, firstDuplicateKey, scanJsonText } from '../../src/http/json-text';

const limits = { maxNesting: 5, maxStringChars: 10, unlimitedKeys: () => new Set(['data']) };
const scan = (text: string) => scanJsonText(text, limits);

describe('scanJsonText', () => {
  it('counts the members of every object, not colons inside strings', () => {
    const text = '{"a":1,"b":[{"c":"x:y"},{"d":{"e":null}}],"f":"\\":"}';
    expect(scan(text)).toBe(6);
    expect(countKeys(JSON.parse(text))).toBe(6);
  });

  it('counts nesting by objects, and arrays only inside arrays', () => {
    expect(() => scan('{"a":[{"b":[{"c":[{"d":[{"e":1}]}]}]}]}')).not.toThrow(); // 5 objects, 4 arrays
    expect(() => scan('{"a":[{"b":[{"c":[{"d":[{"e":{"f":1}}]}]}]}]}')).toThrow(/deeper than 5/);
    expect(() => scan('[[[[[[1]]]]]]')).toThrow(/deeper than 5/);
  });

  it('refuses a long string value, naming its key, also inside an array after nested objects', () => {
    expect(() => scan('{"a":"12345678901"}')).toThrow(/'a'/);
    expect(() => scan('{"a":[{"b":1},"12345678901"]}')).toThrow(/'a'/);
    expect(() => scan('{"data":"12345678901234567890"}')).not.toThrow();
    // Escapes make the text longer than the value: \u0041 is one character.
    expect(() => scan('{"a":"\\u0041\\u0041\\u0041"}')).not.toThrow();
  });

  it('does not limit keys, only values', () => {
    expect(() => scan('{"12345678901":1}')).not.toThrow();
  });
});

describe('firstDuplicateKey', () => {
  it('finds a key given twice in one object, escaped or not, and nothing across objects', () => {
    expect(firstDuplicateKey('{"a":{"x":1,"y":[1,{"x":2}],"x":3}}')).toBe('x');
    expect(firstDuplicateKey('{"g\\u0065nder":1,"gender":2}')).toBe('gender');
    expect(firstDuplicateKey('{"a":{"x":1},"b":{"x":1},"c":"\\"a\\":"}')).toBeUndefined();
  });
});
