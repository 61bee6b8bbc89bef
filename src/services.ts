import type { Bundle, Resource } from 'fhir/r4';
import type { Config } from './config';
import type { Services } from './server';
import { handleBundle } from './bundle';

/**
 * INTERIM wiring used until src/search and src/validation land: search matches only _id and identifier by scanning,
 * validation accepts everything. Replaced by the real layers; never shipped as "search".
 */
export async function defaultServices(_config: Config): Promise<Services> {
  const scan = async (repo: Parameters<Services['search']['findMatchingIds']>[0], type: string) => {
    const docs = await repo.find(type, {}).toArray();
    return docs.map((d) => JSON.parse(d.r) as Resource & { identifier?: Array<{ system?: string; value?: string }> });
  };
  return {
    index: (r) => ({ s: [], c: r.resourceType === 'Patient' ? [`Patient/${r.id}`] : [] }),
    searchIndexSpecs: () => [],
    validation: { assertValid: async () => [] },
    search: {
      async findMatchingIds(repo, type, query, limit) {
        const all = await scan(repo, type);
        return all
          .filter((r) =>
            query.every(([k, v]) => {
              if (k === '_id') return r.id === v;
              if (k === 'identifier') {
                const [sys, val] = v.includes('|') ? v.split('|') : [undefined, v];
                return (r.identifier ?? []).some((i) => i.value === val && (sys === undefined || i.system === sys));
              }
              return true;
            }),
          )
          .slice(0, limit)
          .map((r) => r.id as string);
      },
      async executeSearch(repo, type, _query, opts) {
        const all = type ? await scan(repo, type) : [];
        const bundle: Bundle = {
          resourceType: 'Bundle',
          type: 'searchset',
          total: all.length,
          link: [{ relation: 'self', url: opts.selfUrl }],
          entry: all.map((resource) => ({ resource, search: { mode: 'match' } })),
        };
        return bundle;
      },
    },
    capabilities: { searchParams: () => [], supportedProfiles: () => [] },
    bundle: handleBundle,
  };
}
