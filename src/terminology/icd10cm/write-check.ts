import type { OperationOutcomeIssue } from 'fhir/r4';
import { isOperationOutcomeError } from '../../errors/operation-outcome-error';
import { isJsonObject } from '../../fhir/json';
import type { Repository } from '../../store/repository';
import { pointerToFhirPath } from '../../validation/issues';
import { checkIcd10CmCode } from './check';
import { CODED_ELEMENTS, valuesAt } from './coded-elements';
import { ICD10CM_SYSTEM, type Icd10CmCodeSystem } from './code-system';
import { dateOfService, type ReadResource } from './date-of-service';
import { fiscalYearOf } from './fiscal-year';

export interface Icd10CmWriteCheckOptions {
  /** The code system, loaded on first use: a resource without ICD-10-CM codings never waits for it. */
  codeSystem: () => Promise<Icd10CmCodeSystem>;
  /** Reads the Encounter a resource names, as the caller may (policy applied). */
  read: ReadResource;
  /** ICD10CM_STRICT: problems are errors (the write fails, 422), not warnings. */
  strict: boolean;
  now?: Date;
}

interface Found {
  code: string;
  display?: string;
  pointer: string;
}

function icd10cmCodings(resource: Record<string, unknown>, paths: string[][]): Found[] {
  const out: Found[] = [];
  for (const path of paths) {
    for (const { value, pointer } of valuesAt(resource, path)) {
      if (!isJsonObject(value) || !Array.isArray(value.coding)) continue;
      value.coding.forEach((c, i) => {
        if (isJsonObject(c) && c.system === ICD10CM_SYSTEM && typeof c.code === 'string') {
          out.push({ code: c.code, display: typeof c.display === 'string' ? c.display : undefined, pointer: `${pointer}/coding/${i}` });
        }
      });
    }
  }
  return out;
}

/**
 * The issues of a resource's ICD-10-CM codings (at the elements coded-element-rules.json lists) against the code set in
 * force on its date of service: a code written without its dot, unknown, not in that year's code set, a header, a
 * wrong display: warnings, errors when `strict`. A date outside the loaded years is information, whatever `strict`.
 */
export async function icd10cmWriteIssues(resource: Record<string, unknown>, opts: Icd10CmWriteCheckOptions): Promise<OperationOutcomeIssue[]> {
  const type = resource.resourceType;
  const rules = typeof type === 'string' ? CODED_ELEMENTS.get(type) : undefined;
  if (!rules) return [];
  const codings = icd10cmCodings(resource, rules.codes);
  if (codings.length === 0) return [];
  const [icd, service] = await Promise.all([opts.codeSystem(), dateOfService(type as string, resource, opts.read, opts.now)]);
  const fiscalYear = fiscalYearOf(service.date);
  const severity = opts.strict ? 'error' : 'warning';
  const issues: OperationOutcomeIssue[] = [];
  for (const c of codings) {
    const check = checkIcd10CmCode(icd, c.code, { fiscalYear, dateText: service.text, display: c.display });
    for (const p of check.problems) {
      const at = pointerToFhirPath(type as string, `${c.pointer}/${p.kind === 'display' ? 'display' : 'code'}`);
      issues.push({ severity, code: 'code-invalid', diagnostics: p.message, expression: [at] });
    }
    for (const note of check.notes) {
      issues.push({ severity: 'information', code: 'informational', diagnostics: note, expression: [pointerToFhirPath(type as string, `${c.pointer}/code`)] });
    }
  }
  return issues;
}

/**
 * The check validation runs on writes and `$validate`, reading a resource's Encounter through `repo` (the caller's:
 * an Encounter it may not read is not used, and the next source of the date is).
 */
export function icd10cmResourceCheck(repo: Repository, opts: Omit<Icd10CmWriteCheckOptions, 'read'>) {
  const read: ReadResource = async (type, id) => {
    try {
      return JSON.parse((await repo.read(type, id)).r) as Record<string, unknown>;
    } catch (err) {
      if (isOperationOutcomeError(err)) return undefined;
      throw err;
    }
  };
  return (resource: Record<string, unknown>) => icd10cmWriteIssues(resource, { ...opts, read });
}
