/** A JSON object (not null, not an array): what a FHIR resource, element or complex value must be. */
export const isJsonObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
