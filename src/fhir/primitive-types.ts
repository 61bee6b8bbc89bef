/** FHIR primitive types (spec 2.24.0.1); their names start lower case, but choice variants are capitalised. */
export const PRIMITIVE_TYPES: ReadonlySet<string> = new Set([
  'boolean',
  'integer',
  'string',
  'decimal',
  'uri',
  'url',
  'canonical',
  'base64Binary',
  'instant',
  'date',
  'dateTime',
  'time',
  'code',
  'oid',
  'id',
  'markdown',
  'unsignedInt',
  'positiveInt',
  'uuid',
  'xhtml',
]);

/** `DateTime` -> `dateTime`, `Quantity` -> `Quantity`: the type a choice element's JSON suffix names. */
export function typeFromSuffix(suffix: string): string {
  const lower = suffix.charAt(0).toLowerCase() + suffix.slice(1);
  return PRIMITIVE_TYPES.has(lower) ? lower : suffix;
}
