import { CATEGORY_STATUS, errorHeaders } from '../../src/http/error-status';

describe('the status of each error category', () => {
  const expected = {
    invalid: 400,
    unauthenticated: 401,
    forbidden: 403,
    'not-found': 404,
    'not-supported': 405,
    'not-acceptable': 406,
    conflict: 409,
    gone: 410,
    'precondition-failed': 412,
    'too-large': 413,
    'unsupported-media-type': 415,
    'range-not-satisfiable': 416,
    unprocessable: 422,
    'too-many-requests': 429,
    internal: 500,
    unavailable: 503,
  };

  it.each(Object.entries(expected))('%s answers %i', (category, status) => {
    expect(CATEGORY_STATUS[category as keyof typeof CATEGORY_STATUS]).toBe(status);
  });

  it('has no category beyond these', () => {
    expect(Object.keys(CATEGORY_STATUS).sort()).toEqual(Object.keys(expected).sort());
  });
});

describe('the headers of an error', () => {
  it('are none without facts', () => {
    expect(errorHeaders({})).toEqual({});
  });

  it('list the allowed methods in Allow', () => {
    expect(errorHeaders({ allow: ['GET', 'HEAD', 'PUT'] })).toEqual({ Allow: 'GET, HEAD, PUT' });
  });

  it('carry the authentication challenge in WWW-Authenticate', () => {
    const challenge = 'Bearer realm="https://fhir.example.org", error="invalid_token"';
    expect(errorHeaders({ challenge })).toEqual({ 'WWW-Authenticate': challenge });
  });

  it('give the wait in whole seconds in Retry-After', () => {
    expect(errorHeaders({ retryAfterSeconds: 30 })).toEqual({ 'Retry-After': '30' });
    expect(errorHeaders({ retryAfterSeconds: 0 })).toEqual({ 'Retry-After': '0' });
  });

  it('give the size of the whole file in the unsatisfied-range Content-Range', () => {
    expect(errorHeaders({ completeLength: 1234 })).toEqual({ 'Content-Range': 'bytes */1234' });
  });
});
