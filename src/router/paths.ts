/** FHIR id: 1-64 of [A-Za-z0-9-.] (R4 datatypes, id). */
export function isValidId(id: string): boolean {
  return /^[A-Za-z0-9\-.]{1,64}$/.test(id);
}

export function isTypeName(segment: string): boolean {
  return /^[A-Z][A-Za-z]{1,63}$/.test(segment);
}
