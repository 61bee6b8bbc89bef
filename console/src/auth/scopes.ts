/**
 * What a granted SMART scope string allows, read the way the server reads it (src/auth/scopes.ts): `patient/`,
 * `user/` or `system/` grants on a type or `*`, v2 permissions (`c r u d s`) or v1 (`read`, `write`, `*`). A grant
 * narrowed by a query (`?category=...`) counts as allowing the page: the server answers with what it covers.
 * The console asks before it shows a page, so a page the token does not allow says so instead of failing.
 */
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

const V1: Record<string, string> = { read: 'rs', write: 'cud', '*': 'cruds' };

function permissionsOf(scope: string, type: string): string {
  const m = /^(patient|user|system)\/([A-Za-z]+|\*)\.([a-z*]+)(\?.*)?$/.exec(scope);
  if (!m || (m[2] !== '*' && m[2] !== type)) return '';
  return V1[m[3]] ?? (/^c?r?u?d?s?$/.test(m[3]) ? m[3] : '');
}

export function scopeAllows(scope: string, type: string, needs: readonly Permission[]): boolean {
  const granted = scope
    .split(/\s+/)
    .map((s) => permissionsOf(s, type))
    .join('');
  return needs.every((p) => granted.includes(p));
}

/**
 * The types the console's pages read and write. The console asks for `user/*.cruds` and for each of these by name,
 * so that an authorization server that grants type by type can grant the ones the user may have.
 */
const TYPES = ['Patient', 'Encounter', 'Condition', 'DocumentReference', 'Binary', 'Task', 'Practitioner', 'Organization', 'AuditEvent'];

export const DEFAULT_SCOPE = ['openid', 'fhirUser', 'user/*.cruds', ...TYPES.map((t) => `user/${t}.cruds`)].join(' ');
