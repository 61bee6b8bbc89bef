import type { Resource } from 'fhir/r4';
import type { Repository } from '../store/repository';
import type { BillableCodeSystems } from './code-check';
import { evaluate, inScope, namedMatching, type Evaluation, type EvaluationContext } from './evaluate';
import type { Rule, RuleSet } from './rules';
import type { SearchAccess } from './search-access';

/**
 * The rules in force with what evaluating them needs: the search layer's filters and the code systems billable
 * codes are checked against (loaded on first use: ICD-10-CM takes most of a second).
 */
export class Completeness {
  private billable: Promise<BillableCodeSystems> | undefined;

  constructor(
    readonly ruleSet: RuleSet,
    readonly search: SearchAccess,
    private readonly loadBillable: () => Promise<BillableCodeSystems>,
  ) {}

  get rules(): readonly Rule[] {
    return this.ruleSet.rules;
  }

  rule(id: string): Rule | undefined {
    return this.rules.find((r) => r.id === id);
  }

  /** The context of an evaluation; the billable code systems are loaded once, when a rule first needs them. */
  async context(rules: readonly Rule[]): Promise<EvaluationContext> {
    const needsCodes = rules.some((r) => r.condition.kind === 'related' && (r.condition.codes?.billable.size ?? 0) > 0);
    if (needsCodes) this.billable ??= this.loadBillable();
    return { search: this.search, timeZone: this.ruleSet.timeZone, billable: needsCodes ? await this.billable! : new Map() };
  }

  /** The rules that concern an encounter: those scoped on Encounter, and those on resources that name their encounter. */
  encounterRules(): Rule[] {
    return this.rules.filter((r) => r.scope.type === 'Encounter' || r.scope.encounterParam !== undefined);
  }

  /**
   * The evaluations of every rule concerning one encounter (the encounter itself, and the resources in scope that
   * name it), read through `repo`: the caller's policy bounds what is seen.
   */
  async ofEncounter(repo: Repository, encounter: Resource & { id: string }): Promise<Evaluation[]> {
    const rules = this.encounterRules();
    const ctx = await this.context(rules);
    const out: Evaluation[] = [];
    for (const rule of rules) {
      const foci =
        rule.scope.type === 'Encounter'
          ? await inScope(repo, rule, [encounter.id])
          : await namedMatching(repo, rule.scope.type, this.search.filter(rule.scope.type, `${rule.scope.encounterParam}=Encounter/${encounter.id}`), rule.scope.filter);
      out.push(...(await evaluate(repo, ctx, rule, foci)));
    }
    return out;
  }
}
