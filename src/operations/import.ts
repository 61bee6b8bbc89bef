import type { JobServices } from '../jobs';
import { IMPORT_KIND, type ImportParams } from '../import/import-kind';
import { parseImportParameters } from '../import/parameters';
import { checkSource, type ImportSourceConfig } from '../import/sources';
import { badRequest, forbidden } from '../errors/operation-outcome-error';
import { parameter, type Operation } from './operation';

/**
 * `POST [base]/$import`: bulk ingest of NDJSON files, with the Parameters of the Bulk Data import proposal as HAPI
 * FHIR accepts them, as an asynchronous job (src/import/import-kind.ts) with `$export`'s pattern. Defined here (the
 * proposal publishes no OperationDefinition); readable at `OperationDefinition/import`.
 */
export function importOperation(jobs: JobServices, sources: () => ImportSourceConfig): Operation {
  return {
    definition: {
      resourceType: 'OperationDefinition',
      id: 'import',
      url: 'urn:fhirstone:OperationDefinition/import',
      name: 'Import',
      title: 'Bulk import of NDJSON files',
      status: 'active',
      kind: 'operation',
      code: 'import',
      description:
        'Imports NDJSON files (one resource type each) from the import folder (IMPORT_DIR) or URLs under IMPORT_URL_PREFIXES: ' +
        'every resource validated like a write and stored with its own id; references between files resolved when every file ' +
        'is read. Asynchronous: 202 with a status URL; the manifest lists one summary per input (output) and every line not ' +
        'imported (error). Needs create and update on every type imported; not for patient-bound tokens.',
      system: true,
      type: false,
      instance: false,
      affectsState: true,
      parameter: [
        parameter('in', 'inputFormat', 'code', { min: 1, documentation: 'application/fhir+ndjson' }),
        parameter('in', 'inputSource', 'uri', { documentation: 'The system the data comes from (recorded, not fetched)' }),
        {
          ...parameter('in', 'input', 'Element', { min: 1, max: '*', documentation: 'One NDJSON file' }),
          type: undefined,
          part: [
            parameter('in', 'type', 'code', { min: 1, documentation: 'Its resource type' }),
            parameter('in', 'url', 'uri', { min: 1, documentation: 'Where it is: a file under IMPORT_DIR, or a URL under IMPORT_URL_PREFIXES' }),
          ],
        },
        parameter('in', 'storageDetail', 'Element', { documentation: 'Accepted and ignored' }),
      ],
    },
    handler: async (ctx, req) => {
      if (req.policy.patientIds) throw forbidden('$import is for system and user-level clients, not a token bound to a patient');
      const request = parseImportParameters(req.body);
      for (const input of request.inputs) {
        if (!ctx.isServedType(input.type)) throw badRequest(`This server does not store ${input.type}`, 'input.type');
        ctx.repo.assertAllowed(input.type, 'create');
        ctx.repo.assertAllowed(input.type, 'update');
        checkSource(sources(), input.url);
      }
      const params: ImportParams = { inputSource: request.inputSource, inputs: request.inputs, baseUrl: ctx.baseUrl };
      return jobs.startJob(ctx, req, IMPORT_KIND, params);
    },
  };
}
