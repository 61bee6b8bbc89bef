import type { OperationDefinition, OperationDefinitionParameter } from 'fhir/r4';
import { parameter, type Operation, type OperationHandler } from './operation';

const BULK = 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition';

const param = (name: string, type: Parameters<typeof parameter>[2], max = '1') => parameter('in', name, type, { max });

/** The kick-off parameters of Bulk Data Access 2.0 (what src/bulk/parameters.ts accepts). */
const PARAMETERS: OperationDefinitionParameter[] = [
  param('_outputFormat', 'string'),
  param('_since', 'instant'),
  param('_until', 'instant'),
  param('_type', 'string', '*'),
  param('_elements', 'string', '*'),
  param('includeAssociatedData', 'code', '*'),
  param('_typeFilter', 'string', '*'),
];

function definition(
  id: string,
  title: string,
  level: Pick<OperationDefinition, 'system' | 'type' | 'instance' | 'resource'>,
  extra: OperationDefinitionParameter[] = [],
) {
  return {
    resourceType: 'OperationDefinition' as const,
    id,
    url: `${BULK}/${id}`,
    name: title.replace(/\W/g, ''),
    title,
    status: 'active' as const,
    kind: 'operation' as const,
    code: 'export',
    affectsState: false,
    ...level,
    parameter: [...PARAMETERS, ...extra],
  };
}

/**
 * `$export` (Bulk Data Access 2.0) at its three levels, each under the IG's own OperationDefinition: the base, the
 * Patient type, a Group instance. One kick-off handler (src/bulk/kickoff.ts) serves all three; the status, cancel
 * and file routes that follow a kick-off are in job-status.ts.
 */
export function exportOperations(kickoff: OperationHandler): Operation[] {
  const patient = param('patient', 'Reference', '*');
  return [
    { interaction: 'export', handler: kickoff, definition: definition('export', 'FHIR Bulk Data System Level Export', { system: true, type: false, instance: false }) },
    {
      interaction: 'export',
      handler: kickoff,
      definition: definition('patient-export', 'FHIR Bulk Data Patient Level Export', { system: false, type: true, instance: false, resource: ['Patient'] }, [patient]),
    },
    {
      interaction: 'export',
      handler: kickoff,
      definition: definition('group-export', 'FHIR Bulk Data Group Level Export', { system: false, type: false, instance: true, resource: ['Group'] }, [patient]),
    },
  ];
}
