import type { OperationDefinition } from 'fhir/r4';
import type { QueryCompiler } from '../everything/care-dates';
import { docref } from '../everything/document-references';
import { preferHandling } from '../router/respond';
import type { Operation } from './operation';
import { operationInput } from './parameters';
import definition from './us-core-docref.json';

/**
 * `DocumentReference/$docref` (US Core 6.1.0 Fetch DocumentReference, a SHALL for US Core servers), under US Core's
 * own OperationDefinition (us-core-docref.json: the published one without its narrative, CC0). The answer is a
 * searchset of the patient's stored DocumentReferences (src/everything/document-references.ts); no document is
 * generated, which an `on-demand=true` request is told.
 */
export const documentReferenceDocref = (compile: QueryCompiler): Operation => ({
  definition: definition as OperationDefinition & { id: string; url: string },
  handler: async (ctx, req) => ({
    status: 200,
    body: await docref(
      ctx.repo,
      compile,
      { baseUrl: ctx.baseUrl, defaultCount: ctx.defaultPageSize, strict: preferHandling(req) === 'strict' },
      operationInput(req, 'docref'),
    ),
  }),
});
