import type { Operation } from '../operations/operation';
import { patientAccessReport } from '../operations/access-report';
import { accountingSuspensions } from '../operations/accounting-suspensions';
import { patientDisclosures } from '../operations/disclosures';
import { suspendAccounting } from '../operations/suspend-accounting';
import type { RunningServerCore } from '../server';
import type { AccountingSources } from './accounting';
import { recordExportDisclosures } from './export-completion';
import { ExportDisclosures } from './export-records';
import { rulesFromEnv } from './rules';
import { SuspensionStore } from './suspensions';

/**
 * The accounting of disclosures as the server wires it: the rules (DISCLOSURE_RULES_FILE or the shipped defaults,
 * checked at start-up), the stores beside the audit trail (suspensions, bulk exports' records), and the operations.
 * Merge into Services.
 */
export function disclosureServices(env: Record<string, string | undefined>) {
  const rules = rulesFromEnv(env);
  let stores: Omit<AccountingSources, 'rules'> | undefined;
  const sources = (): AccountingSources => {
    if (!stores) throw new Error('the disclosure services are not started');
    return { rules, ...stores };
  };
  const suspensions = () => sources().suspensions;
  const operations: Operation[] = [patientDisclosures(sources), suspendAccounting(suspensions), accountingSuspensions(suspensions), patientAccessReport(rules)];
  return {
    rules,
    operations,
    sources,
    /** For the bulk export services: records the patients of a completed export to a recipient outside. */
    exportCompleted: recordExportDisclosures(() => sources().exports),
    async start(core: Pick<RunningServerCore, 'store'>): Promise<void> {
      const suspensions = new SuspensionStore(core.store.db);
      const exports = new ExportDisclosures(core.store.db);
      await Promise.all([suspensions.init(), exports.init()]);
      stores = { suspensions, exports };
    },
  };
}
