import type { Parameters as FhirParameters, ParametersParameter } from 'fhir/r4';
import { badRequest, notFound } from '../errors/operation-outcome-error';
import { readCodeRequest } from '../terminology/code-request';
import { icd10cmCodings } from '../terminology/served-codings';
import { checkIcd10CmCode, icd10cmFormatProblem, loadedYears, requestedYear, type Icd10CmCodeSystem } from '../terminology/icd10cm';
import { codeSystemOperation } from './codesystem-definition';
import { parameter, type Operation } from './operation';

const inParam = (name: string, type: Parameters<typeof parameter>[2], max = '1') => parameter('in', name, type, { max });

/** The properties this server returns, each on request (`property`) or, without one, all of them. */
const PROPERTIES = ['abstract', 'billable', 'in-force', 'parent', 'fiscal-year', 'designation'] as const;

/**
 * `CodeSystem/$lookup` (R4 CodeSystem-lookup) for ICD-10-CM: the display, and as properties whether the code is a
 * header (`abstract`), `billable` (valid for HIPAA-covered transactions) and `in-force` in the code set of the date
 * of service (`date`; `version` names a fiscal year), its `parent` category and each `fiscal-year` that has it.
 * The short description is a designation. `version` is the fiscal year answered; `message` tells of a date outside
 * the loaded years (answered from the nearest) or a code not in force. An unknown code is 404, one written without
 * its dot 400, another system 404.
 */
export const codeSystemLookup = (icd10cm: () => Promise<Icd10CmCodeSystem>): Operation => ({
  definition: codeSystemOperation(
    'CodeSystem-lookup',
    'Lookup',
    'Concept Look Up & Decomposition',
    `Answers for ICD-10-CM (http://hl7.org/fhir/sid/icd-10-cm), by fiscal year (version); properties: ${PROPERTIES.join(', ')}`,
    [
      inParam('code', 'code'),
      inParam('system', 'uri'),
      inParam('version', 'string'),
      inParam('coding', 'Coding'),
      inParam('date', 'dateTime'),
      inParam('displayLanguage', 'code'),
      inParam('property', 'code', '*'),
      parameter('out', 'name', 'string', { min: 1 }),
      parameter('out', 'version', 'string'),
      parameter('out', 'display', 'string', { min: 1 }),
      { name: 'designation', use: 'out', min: 0, max: '*' },
      { name: 'property', use: 'out', min: 0, max: '*' },
      parameter('out', 'message', 'string', { documentation: 'Not in R4: a date outside the loaded years, or a code not in force on it' }),
    ],
  ),
  handler: async (ctx, req) => {
    ctx.repo.assertAllowedAny('CodeSystem', ['read', 'search']);
    const request = readCodeRequest(req, 'lookup');
    const [coding] = icd10cmCodings(request.codings, 'lookup');
    const format = icd10cmFormatProblem(coding.code);
    if (format) throw badRequest(format, 'code');
    const icd = await icd10cm();
    const year = requestedYear(icd, request.version, request.date);
    const check = checkIcd10CmCode(icd, coding.code, { ...year, abstract: true });
    const found = check.lookup;
    if (!found) throw notFound(`Unknown ICD-10-CM code '${coding.code}': no loaded code set (${loadedYears(icd)}) has it`);
    const wanted = (p: (typeof PROPERTIES)[number]) => request.properties.length === 0 || request.properties.includes(p);
    const property = (code: string, value: Omit<ParametersParameter, 'name'>): ParametersParameter => ({
      name: 'property',
      part: [
        { name: 'code', valueCode: code },
        { name: 'value', ...value },
      ],
    });
    const parent = icd.parentOf(found.code, found.fiscalYear);
    const out: ParametersParameter[] = [
      { name: 'name', valueString: 'ICD-10-CM' },
      { name: 'version', valueString: String(found.fiscalYear) },
      { name: 'display', valueString: found.display },
    ];
    if (wanted('designation'))
      out.push({
        name: 'designation',
        part: [
          { name: 'language', valueCode: 'en' },
          { name: 'value', valueString: found.shortDisplay },
        ],
      });
    if (wanted('abstract')) out.push(property('abstract', { valueBoolean: found.header }));
    if (wanted('billable')) out.push(property('billable', { valueBoolean: found.billable }));
    if (wanted('in-force')) out.push(property('in-force', { valueBoolean: found.inForce }));
    if (wanted('parent') && parent) out.push(property('parent', { valueCode: parent }));
    if (wanted('fiscal-year')) for (const y of found.years) out.push(property('fiscal-year', { valueInteger: y }));
    const message = [...check.notes, ...check.problems.map((p) => p.message)].join(' ');
    if (message) out.push({ name: 'message', valueString: message });
    return { status: 200, body: { resourceType: 'Parameters', parameter: out } satisfies FhirParameters };
  },
});
