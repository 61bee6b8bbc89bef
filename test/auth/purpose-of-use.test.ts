import { PURPOSE_OF_USE_CODES, claimedPurposeOfUse, purposeCoding } from '../../src/auth/purpose-of-use';
import { configFor, externalIssuer, tempDir, testKey, writeJson } from './fixtures';
import { clientRegistration } from '../../src/auth/config';

const V3 = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';

describe('the purpose of use a token claims', () => {
  it('is the purpose_of_use claim, a code or a list of codes (repeats kept once)', () => {
    expect(claimedPurposeOfUse({ purpose_of_use: 'TREAT' })).toEqual({ codes: ['TREAT'] });
    expect(claimedPurposeOfUse({ purpose_of_use: ['HPAYMT', 'HLEGAL', 'HPAYMT'] })).toEqual({ codes: ['HPAYMT', 'HLEGAL'] });
  });

  it('else the IHE IUA Coding, by the code system URL or its OID', () => {
    expect(claimedPurposeOfUse({ extensions: { ihe_iua: { purpose_of_use: { system: V3, code: 'PUBHLTH' } } } })).toEqual({ codes: ['PUBHLTH'] });
    expect(claimedPurposeOfUse({ extensions: { ihe_iua: { purpose_of_use: { system: 'urn:oid:2.16.840.1.113883.5.8', code: 'HRESCH' } } } })).toEqual({
      codes: ['HRESCH'],
    });
  });

  it('prefers purpose_of_use over the IUA form, and is none when neither is there', () => {
    expect(claimedPurposeOfUse({ purpose_of_use: 'TREAT', extensions: { ihe_iua: { purpose_of_use: { system: V3, code: 'HLEGAL' } } } })).toEqual({ codes: ['TREAT'] });
    expect(claimedPurposeOfUse({})).toEqual({});
  });

  it.each([
    ['LEGAL, which is not in the PurposeOfUse value set', { purpose_of_use: 'LEGAL' }],
    ['a lower-case code', { purpose_of_use: 'treat' }],
    ['an empty list', { purpose_of_use: [] }],
    ['a number', { purpose_of_use: 7 }],
    ['a code among known ones', { purpose_of_use: ['TREAT', 'NOPE'] }],
    ['an IUA Coding of another system', { extensions: { ihe_iua: { purpose_of_use: { system: 'http://example.org', code: 'TREAT' } } } }],
  ])('is a problem for %s', (_what, claims) => {
    expect(claimedPurposeOfUse(claims)).toHaveProperty('problem');
  });

  it('ships the value set as data: TREAT, HPAYMT, HOPERAT, HLEGAL, PUBHLTH, HRESCH among its codes, not the abstract root', () => {
    expect(PURPOSE_OF_USE_CODES).toEqual(expect.arrayContaining(['TREAT', 'HPAYMT', 'HOPERAT', 'HLEGAL', 'PUBHLTH', 'HRESCH', 'PATRQT']));
    expect(PURPOSE_OF_USE_CODES).not.toContain('PurposeOfUse');
    expect(purposeCoding('HLEGAL')).toEqual({ system: V3, code: 'HLEGAL', display: 'legal' });
  });
});

describe('client registration in the clients file', () => {
  const key = testKey('ES384');
  const registered = async (entries: unknown[], env: Record<string, string> = {}) =>
    configFor({ SMART_CLIENTS_FILE: writeJson(tempDir(), 'clients.json', { clients: entries }), ...env });

  it('gives a built-in client a recipient and a default purpose of use', async () => {
    const cfg = await registered([
      {
        client_id: 'payer',
        jwks: { keys: [(await key).publicJwk] },
        scope: 'system/*.rs',
        purpose_of_use: 'HPAYMT',
        recipient: { name: 'Acme Health Plan', address: { line: ['1 Main St'], city: 'Springfield' }, outside_covered_entity: true },
      },
    ]);
    expect(clientRegistration(cfg, cfg.ownIssuer, 'payer')).toMatchObject({
      purposeOfUse: ['HPAYMT'],
      recipient: { name: 'Acme Health Plan', address: { line: ['1 Main St'], city: 'Springfield' }, outsideCoveredEntity: true },
    });
    // A client_id names a client only within its issuer.
    expect(clientRegistration(cfg, 'https://other.example.org', 'payer')).toBeUndefined();
  });

  it('describes clients of the external issuer by issuer and client_id, without keys, and they register no token endpoint client', async () => {
    const cfg = await registered(
      [
        {
          client_id: 'law-app',
          issuer: 'https://idp.example.org/realms/ehr',
          recipient: { name: 'Lawyers LLP', address: '2 Court St', outside_covered_entity: true, disclosure_category: 'judicial' },
        },
      ],
      externalIssuer('https://idp.example.org/certs'),
    );
    expect(cfg.clients.size).toBe(0);
    expect(clientRegistration(cfg, 'https://idp.example.org/realms/ehr', 'law-app')?.recipient).toEqual({
      name: 'Lawyers LLP',
      address: { text: '2 Court St' },
      outsideCoveredEntity: true,
      category: 'judicial',
    });
  });

  it.each([
    [{ purpose_of_use: 'LEGAL' }, /purpose_of_use/],
    [{ purpose_of_use: [] }, /purpose_of_use/],
    [{ recipient: { name: 'X' } }, /outside_covered_entity/],
    [{ recipient: { outside_covered_entity: true } }, /recipient\.name/],
    [{ recipient: { name: 'X', outside_covered_entity: true, address: { street: 'x' } } }, /Address field/],
    [{ recipient: { name: 'X', outside_covered_entity: true, disclosure_category: 'friends' } }, /disclosure_category/],
  ])('refuses to start with a bad registration %j', async (extra, message) => {
    await expect(registered([{ client_id: 'c', jwks: { keys: [(await key).publicJwk] }, scope: 'system/*.rs', ...extra }])).rejects.toThrow(message);
  });

  it('refuses an external client with keys, or of an issuer that is not SMART_ISSUER', async () => {
    const env = externalIssuer('https://idp.example.org/certs');
    await expect(registered([{ client_id: 'c', issuer: 'https://idp.example.org/realms/ehr', scope: 'system/*.rs' }], env)).rejects.toThrow(/authenticates there/);
    await expect(registered([{ client_id: 'c', issuer: 'https://elsewhere.example.org' }], env)).rejects.toThrow(/not SMART_ISSUER/);
  });
});
