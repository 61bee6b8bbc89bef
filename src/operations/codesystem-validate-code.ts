import type { Parameters as FhirParameters, ParametersParameter } from 'fhir/r4';
import { badRequest } from '../errors/operation-outcome-error';
import { readCodeRequest } from '../terminology/code-request';
import { icd10cmCodings } from '../terminology/served-codings';
import { checkIcd10CmCode, icd10cmFormatProblem, requestedYear, type Icd10CmCheck, type Icd10CmCodeSystem } from '../terminology/icd10cm';
import { codeSystemOperation } from './codesystem-definition';
import { parameter, type Operation } from './operation';

const inParam = (name: string, type: Parameters<typeof parameter>[2]) => parameter('in', name, type);

/**
 * `CodeSystem/$validate-code` (R4 CodeSystem-validate-code) for ICD-10-CM: is the code in the code set in force on
 * `date` (default today; `version` names a fiscal year), billable, and `display` (if given) its long or short
 * description? `result` false with a `message` for an unknown code, one not in force on the date, a wrong display,
 * and a header (abstract) unless `abstract=true`. A date outside the loaded years is answered from the nearest, the
 * message says so. A code written without its dot is 400; another system 404. The system is `url` as R4 names it
 * (`system` is taken too); of a CodeableConcept, one valid ICD-10-CM coding makes the result true.
 */
export const codeSystemValidateCode = (icd10cm: () => Promise<Icd10CmCodeSystem>): Operation => ({
  definition: codeSystemOperation(
    'CodeSystem-validate-code',
    'ValidateCode',
    'Code System based Validation',
    'Answers for ICD-10-CM (http://hl7.org/fhir/sid/icd-10-cm), by the date of service or a fiscal year (version)',
    [
      inParam('url', 'uri'),
      inParam('code', 'code'),
      inParam('version', 'string'),
      inParam('display', 'string'),
      inParam('coding', 'Coding'),
      inParam('codeableConcept', 'CodeableConcept'),
      inParam('date', 'dateTime'),
      inParam('abstract', 'boolean'),
      inParam('displayLanguage', 'code'),
      parameter('out', 'result', 'boolean', { min: 1 }),
      parameter('out', 'message', 'string'),
      parameter('out', 'display', 'string'),
    ],
  ),
  handler: async (ctx, req) => {
    ctx.repo.assertAllowedAny('CodeSystem', ['read', 'search']);
    const request = readCodeRequest(req, 'validate-code');
    const codings = icd10cmCodings(request.codings, 'validate-code');
    for (const c of codings) {
      const format = icd10cmFormatProblem(c.code);
      if (format) throw badRequest(format, 'code');
    }
    const icd = await icd10cm();
    const year = requestedYear(icd, request.version, request.date);
    const checks: Icd10CmCheck[] = codings.map((c) => checkIcd10CmCode(icd, c.code, { ...year, display: c.display, abstract: request.abstract }));
    const valid = checks.find((c) => c.problems.length === 0);
    const shown = valid ?? checks[0];
    const message = [...shown.notes, ...(valid ? [] : checks.flatMap((c) => c.problems.map((p) => p.message)))].join(' ');
    const out: ParametersParameter[] = [{ name: 'result', valueBoolean: valid !== undefined }];
    if (message) out.push({ name: 'message', valueString: message });
    if (shown.lookup) out.push({ name: 'display', valueString: shown.lookup.display });
    return { status: 200, body: { resourceType: 'Parameters', parameter: out } satisfies FhirParameters };
  },
});
