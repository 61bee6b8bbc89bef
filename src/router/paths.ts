export { isDotsOnly, isValidId } from '../fhir/resource-id';

export function isTypeName(segment: string): boolean {
  return /^[A-Z][A-Za-z]{1,63}$/.test(segment);
}
