/** A test server whose tokens are names: `Bearer <name>` is the policy of that name. */
import { unauthorized } from '../../src/errors/operation-outcome-error';
import type { AccessPolicy } from '../../src/auth/access-policy';
import { startTestServer, type TestServer } from '../helpers/server';

const policy = (p: Partial<AccessPolicy> & { types?: string[] }): AccessPolicy => {
  const { types, ...rest } = p;
  return { scopes: [], unrestricted: false, allows: (type) => !types || types.includes(type), searchRestrictions: () => undefined, ...rest };
};
/** The tokens of the completeness tests. */
const POLICIES: Record<string, AccessPolicy> = {
  admin: policy({ unrestricted: true }),
  'patient-p1': policy({ patientIds: ['p1'] }),
  'no-documents': policy({ types: ['Encounter', 'Condition', 'Patient', 'Task'] }),
  // SMART v2 granular: DocumentReference.rs?category=clinical-note only.
  'clinical-notes': policy({ searchRestrictions: (type) => (type === 'DocumentReference' ? ['category=clinical-note'] : undefined) }),
};

/** The full server, authenticating with the test tokens. */
export async function startPolicyServer(env: Record<string, string> = {}): Promise<TestServer> {
  return startTestServer(env, (services) => ({
    ...services,
    authenticate: async (header) => {
      const p = POLICIES[header?.replace(/^Bearer\s+/i, '') ?? ''];
      if (!p) throw unauthorized('unknown test token');
      return p;
    },
  }));
}

export const as = (token: string) => ({ authorization: `Bearer ${token}` });
