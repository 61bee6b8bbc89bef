import type { Patient } from 'fhir/r4';
import type { QueryCompiler } from '../everything/care-dates';
import { noRecordMoved, type MovedRecordCheck } from '../everything/moved-record';
import { everythingRequest } from '../everything/patient-everything';
import { recordPage } from '../everything/record-page';
import { preferHandling } from '../router/respond';
import { parameter, type Operation } from './operation';
import { operationInput } from './parameters';

export interface EverythingOptions {
  /** The search layer's compiler of a query on one type (care dates and `_since` become its date filters). */
  compile: QueryCompiler;
  /** Where a merged-away patient's record went (src/everything/moved-record.ts); by default none has moved. */
  movedRecord?: MovedRecordCheck;
}

/**
 * `Patient/[id]/$everything` and `Patient/$everything` (R4 Patient-everything): the patient's record as pages of a
 * searchset Bundle (src/everything/). The instance level reads the Patient first (404 when the caller may not see
 * it, as a read answers); the type level walks every patient the caller may search, so a patient-bound token gets
 * its own record. Every resource comes through the caller's repository, so its policy bounds each one and the
 * AuditEvent names the patients whose data was returned.
 */
export const patientEverything = (opts: EverythingOptions): Operation => ({
  definition: {
    resourceType: 'OperationDefinition',
    id: 'Patient-everything',
    url: 'http://hl7.org/fhir/OperationDefinition/Patient-everything',
    name: 'Everything',
    title: 'Fetch Patient Record',
    status: 'active',
    kind: 'operation',
    code: 'everything',
    resource: ['Patient'],
    system: false,
    type: true,
    instance: true,
    affectsState: false,
    parameter: [
      parameter('in', 'start', 'date', { documentation: 'Care date on or after which resources are returned (resources without a care date are returned)' }),
      parameter('in', 'end', 'date', { documentation: 'Care date on or before which resources are returned' }),
      parameter('in', '_since', 'instant', { documentation: 'Only resources changed at or after this instant' }),
      parameter('in', '_type', 'code', { max: '*', documentation: 'Resource types to return (comma-separated or repeated)' }),
      parameter('in', '_count', 'integer', { documentation: 'Resources of the record per page' }),
      parameter('out', 'return', 'Bundle', { min: 1, documentation: 'A searchset Bundle, paged with next links' }),
    ],
  },
  handler: async (ctx, req, target) => {
    const repo = ctx.repo;
    if (target.id !== undefined) {
      const patient = JSON.parse((await repo.read('Patient', target.id)).r) as Patient;
      const moved = (opts.movedRecord ?? noRecordMoved)(patient);
      if (moved) throw moved;
    } else repo.assertAllowed('Patient', 'search');
    const request = everythingRequest(
      opts.compile,
      {
        baseUrl: ctx.baseUrl,
        servedTypes: ctx.servedTypes(),
        maySearch: (t) => repo.maySearch(t),
        defaultCount: ctx.defaultPageSize,
        maxCount: ctx.maxPageSize,
        strict: preferHandling(req) === 'strict',
      },
      operationInput(req, 'everything'),
      target.id,
    );
    const bundle = await recordPage(repo, request);
    await ctx.completeBundle?.(bundle);
    return { status: 200, body: bundle };
  },
});
