import { headerText, quotedHeaderText } from '../../src/http/header-text';

describe('text for response headers', () => {
  it('keeps printable ASCII and replaces control characters and anything beyond ASCII', () => {
    expect(headerText('W/"3"')).toBe('W/"3"');
    expect(headerText('a\r\nSet-Cookie: x\u0000é€\ud800')).toBe('a??Set-Cookie: x????');
  });

  it('makes a quoted-string without quotes or backslashes, cut to 200 characters', () => {
    expect(quotedHeaderText('say "hi" \\ bye')).toBe("say 'hi' ' bye");
    const long = quotedHeaderText('x'.repeat(1000));
    expect(long).toHaveLength(200);
    expect(long.endsWith('...')).toBe(true);
  });
});
