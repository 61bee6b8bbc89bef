import type { Bundle } from 'fhir/r4';
import { isTypeName } from './paths';
import type { FhirRequest } from './types';

export type Interaction =
  | 'read' | 'vread' | 'search' | 'history' | 'create' | 'update' | 'patch' | 'delete'
  | 'capabilities' | 'transaction' | 'batch' | 'operation' | 'export';

export interface Classified {
  interaction: Interaction;
  resourceType?: string;
  id?: string;
  versionId?: string;
  operation?: string;
}

/** Names the interaction a request asks for, in the spec's words (for the audit trail and metrics). */
export function classify(req: FhirRequest): Classified {
  const parts = req.path === '' ? [] : req.path.split('/');
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  const op = parts.find((p) => p.startsWith('$'));
  const resourceType = parts[0] && isTypeName(parts[0]) ? parts[0] : undefined;
  const id = resourceType && parts[1] && !parts[1].startsWith('$') && !parts[1].startsWith('_') ? parts[1] : undefined;
  if (op) {
    const operation = op.slice(1);
    return { interaction: operation === 'export' ? 'export' : 'operation', resourceType, id, operation };
  }
  if (parts.length === 0) {
    if (method === 'POST') return { interaction: (req.body as Bundle | undefined)?.type === 'batch' ? 'batch' : 'transaction' };
    return { interaction: 'search' };
  }
  if (parts[0] === 'metadata') return { interaction: 'capabilities' };
  if (parts.includes('_history')) {
    const versionId = parts[3];
    return versionId ? { interaction: 'vread', resourceType, id, versionId } : { interaction: 'history', resourceType, id };
  }
  if (parts.length >= 3 || parts.includes('_search')) return { interaction: 'search', resourceType: parts.length >= 3 ? parts[2] : resourceType };
  switch (method) {
    case 'GET':
      return id ? { interaction: 'read', resourceType, id } : { interaction: 'search', resourceType };
    case 'POST':
      return { interaction: 'create', resourceType };
    case 'PUT':
      return { interaction: 'update', resourceType, id };
    case 'PATCH':
      return { interaction: 'patch', resourceType, id };
    default:
      return { interaction: 'delete', resourceType, id };
  }
}
