import type { Bundle } from 'fhir/r4';
import { badRequest } from '../errors/operation-outcome-error';
import type { RouterContext } from '../router/context';
import type { FhirRequest, FhirResult } from '../router/types';
import { batch } from './batch';
import { transaction } from './transaction';

/** POST to the base URL: a transaction or batch Bundle (spec 3.1.0.11). Any other body is 400. */
export async function handleBundle(ctx: RouterContext, req: FhirRequest): Promise<FhirResult> {
  const body = req.body as Bundle | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body) || body.resourceType !== 'Bundle') {
    throw badRequest('POST to the base URL takes a Bundle of type transaction or batch', 'resourceType');
  }
  if (body.entry !== undefined && !Array.isArray(body.entry)) throw badRequest('Bundle.entry must be an array', 'Bundle.entry');
  if (body.type === 'transaction') return transaction(ctx, req, body);
  if (body.type === 'batch') return batch(ctx, req, body);
  throw badRequest(`A Bundle of type "${String(body.type)}" cannot be processed; send a transaction or batch`, 'Bundle.type');
}
