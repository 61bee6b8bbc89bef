import type { SearchContext } from '../search';
import { ICD10CM_SYSTEM, type Icd10CmCodeSystem } from '../terminology/icd10cm';
import type { BillableCodeSystems, CodeLookupFn } from './code-check';
import { Completeness } from './completeness';
import { compileRules } from './rules';
import { readRulesFile } from './rules-file';
import { searchAccess } from './search-access';

/**
 * Chart completeness: deficiency rules (data: default-rules.json or DEFICIENCY_RULES_FILE), evaluated by the
 * `$completeness` operations and the `$completeness-audit` job, recorded as Tasks and kept in step by a write hook.
 */
export { Completeness } from './completeness';
export { completenessHook } from './hook';
export { flagStoredTasksOnce } from './task-guard';
export { runAudit, type AuditParams, type AuditState } from './audit';
export { summary } from './summary';
export { RULE_SYSTEM, STATUS_SYSTEM, IDENTIFIER_SYSTEM, taskId } from './task';

/** The code systems whose billable codes the rules can check: ICD-10-CM (the server's, ICD10CM_DIR), loaded on first use. */
async function billableCodeSystems(icd10cm: () => Promise<Icd10CmCodeSystem>): Promise<BillableCodeSystems> {
  const icd = await icd10cm();
  const lookup: CodeLookupFn = (code, date) => {
    try {
      return icd.lookup(code, date);
    } catch {
      // A service date that is not a FHIR date: the code is judged against today's code set.
      return icd.lookup(code);
    }
  };
  return new Map([[ICD10CM_SYSTEM, lookup]]);
}

/** The server's completeness rules, read and compiled at start-up (a rule that cannot run stops it, saying why). */
export function completenessFromEnv(env: Record<string, string | undefined>, search: SearchContext, icd10cm: () => Promise<Icd10CmCodeSystem>): Completeness {
  const { file, source } = readRulesFile(env);
  const access = searchAccess(search);
  return new Completeness(compileRules(file, access, source), access, () => billableCodeSystems(icd10cm));
}
