import type { OperationDefinitionParameter } from 'fhir/r4';
import { type Operation, parameter } from '../operations/operation';

/**
 * The OperationDefinition of a report on one patient's record over a period, `Patient/[id]/$code?start=&end=` (GET
 * or POST, changing nothing): `$disclosures` and `$access-report`. `bounds` says what `start` and `end` bound.
 */
export function reportDefinition(spec: {
  code: string;
  name: string;
  title: string;
  description: string;
  bounds: string;
  returns: OperationDefinitionParameter;
}): Operation['definition'] {
  return {
    resourceType: 'OperationDefinition',
    id: `Patient-${spec.code}`,
    url: `urn:fhirstone:OperationDefinition/Patient-${spec.code}`,
    name: spec.name,
    title: spec.title,
    status: 'active',
    kind: 'operation',
    code: spec.code,
    description: spec.description,
    resource: ['Patient'],
    system: false,
    type: false,
    instance: true,
    affectsState: false,
    parameter: [
      parameter('in', 'start', 'date', { documentation: `${spec.bounds} on or after this date (default: six years before end)` }),
      parameter('in', 'end', 'date', { documentation: `${spec.bounds} on or before this date (default: now)` }),
      spec.returns,
    ],
  };
}
