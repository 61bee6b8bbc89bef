import type { OperationDefinitionParameter } from 'fhir/r4';
import type { Operation } from './operation';

/**
 * The OperationDefinition of a type-level, read-only CodeSystem operation under its R4 id and canonical URL
 * (`CodeSystem-lookup`, `CodeSystem-validate-code`): invoked as `CodeSystem/$code` by GET or POST.
 */
export function codeSystemOperation(id: string, name: string, title: string, description: string, parameter: OperationDefinitionParameter[]): Operation['definition'] {
  return {
    resourceType: 'OperationDefinition',
    id,
    url: `http://hl7.org/fhir/OperationDefinition/${id}`,
    name,
    title,
    status: 'active',
    kind: 'operation',
    code: id.slice('CodeSystem-'.length),
    description,
    resource: ['CodeSystem'],
    system: false,
    type: true,
    instance: false,
    affectsState: false,
    parameter,
  };
}
