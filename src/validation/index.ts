import { warmUpDefinitions, type Conformance } from './conformance';
import { checkResource } from './validate-resource';
import { hasSchema } from './structure';

export { unlimitedStringKeys } from './structure';
export { MAX_STRING_BYTES } from './primitive-rules';

export { Conformance, type ConformanceOptions } from './conformance';
export { bundledProfilesDir, ProfileLoadError } from './profile-files';
export { validateOperation, type ValidateOperationOptions } from './validate-operation';
export { assertValid, checkResource, validateResource, type CheckResult, type ValidateOptions } from './validate-resource';
export type { ResourceCheck } from './resource-validation';

/**
 * Reads the big R4 definitions and compiles the JSON schema of the given types now, so the first writes after
 * start-up are as fast as the rest. Returns the milliseconds spent.
 */
export function warmUp(conformance: Conformance, types: string[] = []): number {
  const start = performance.now();
  warmUpDefinitions();
  for (const t of types) if (hasSchema(t)) void checkResource(conformance, { resourceType: t });
  return performance.now() - start;
}
