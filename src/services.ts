import os from 'node:os';
import type { Resource } from 'fhir/r4';
import { AuditTrail, failedLoginOptionsFromEnv } from './audit';
import { auditSubmitRoute } from './audit/submit-route';
import { binaryServices } from './binary';
import { authenticate, authConfigFromEnv, capabilitySecurity, isAuthConfigured, unrestrictedPolicy, type AuthConfig } from './auth';
import { handleBundle } from './bundle';
import { bulkConfigFromEnv, bulkExportServices, searchFilterCompiler } from './bulk';
import type { Config, CorsOrigins } from './config';
import { auditInputFor } from './http/audit-input';
import { consoleSettings } from './http/console';
import { authRoutes } from './auth/routes';
import { jobServices } from './jobs';
import { documentReferenceDocref } from './operations/docref';
import { patientEverything } from './operations/everything';
import type { Operation } from './operations/operation';
import { importOperation } from './operations/import';
import { jobsList } from './operations/jobs-list';
import { importConfigFromEnv } from './import/config';
import { importKind } from './import/import-kind';
import type { SearchApi, ValidationApi } from './router/context';
import { validate } from './operations/validate';
import { completenessFromEnv, completenessHook, flagStoredTasksOnce } from './completeness';
import { disclosureServices } from './disclosures/services';
import { encounterCompleteness } from './operations/completeness';
import { completenessSummary } from './operations/completeness-summary';
import { completenessAudit } from './operations/completeness-audit';
import { completenessAuditKind } from './completeness/audit-job';
import { verifyChain } from './operations/verify-chain';
import { merge } from './operations/merge';
import { unmerge } from './operations/unmerge';
import { mergeJobKind, mergeRules, mergeWriteGuard, mergedRecord, unmergeJobKind } from './merge';
import { codeSystemLookup } from './operations/codesystem-lookup';
import { codeSystemValidateCode } from './operations/codesystem-validate-code';
import { icd10cmResourceCheck, loadIcd10Cm } from './terminology/icd10cm';
import type { Route } from './router/route';
import type { Repository } from './store/repository';
import type { WriteHook } from './store/write-hooks';
import type { Services } from './server';
import {
  SEARCH_INDEX_FORMAT,
  SearchContext,
  SearchDiagnostics,
  buildSearchIndex,
  createSearchApi,
  restrictionFilter,
  searchIndexSpecs,
  searchParametersFor,
} from './search';
import { isStorableType } from './fhir/resource-types';
import { matchingServices } from './matching/services';
import { retentionServices } from './retention/services';
import { destructionServices } from './destruction';
import { retentionSource } from './destruction/retention-adapter';
import { addStoreGauges } from './metrics/store-gauges';
import { assertValid, Conformance, warmUp } from './validation';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function started<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} used before the server started`);
  return value;
}

/**
 * The production wiring of every layer: search, validation, bundles, SMART auth, audit, bulk export. Some parts
 * need the resolved base URL, known once the server listens: they are set up in `start`.
 */
export async function defaultServices(config: Config, env: Record<string, string | undefined> = process.env): Promise<Services> {
  // This server's profiles, terminology and enforced profiles: every validation below is against these.
  const conformance = new Conformance({ profilesDirs: config.profilesDirs, enforcedProfiles: config.enforcedProfiles });
  let auth: AuthConfig | undefined;
  let audit: AuditTrail | undefined;
  let searchApi: ReturnType<typeof createSearchApi> | undefined;
  // This server's own: index-on-write runs before `start` (re-indexing at start-up), so they exist from here.
  const searchContext = new SearchContext({ profilesDirs: config.profilesDirs, baseUrl: config.baseUrl });
  const searchDiagnostics = new SearchDiagnostics();
  const matching = matchingServices(env);
  const indexResource = (resource: Resource) => matching.index(buildSearchIndex(searchContext, resource, searchDiagnostics), resource);

  // Every request needs a token once authorization is configured; otherwise the server is in protected mode.
  const tokenRequired = () => auth !== undefined && isAuthConfigured(auth);
  // Browser apps send their token in a header, never a cookie, so any origin is safe once every request needs a
  // token; in protected mode (no auth) any web page the user opens could read the loopback server: no CORS.
  const corsOrigins = (): CorsOrigins => config.corsOrigins ?? (tokenRequired() ? '*' : []);
  const authenticateRequest = async (header: string | undefined, remoteAddress?: string) =>
    auth && tokenRequired() ? authenticate(header, auth, remoteAddress) : unrestrictedPolicy;
  const bulkConfig = bulkConfigFromEnv(env);
  // Asynchronous jobs of every kind (src/jobs): kinds register here, before the server starts.
  const jobs = jobServices(bulkConfig, { requiresAccessToken: tokenRequired });
  const disclosures = disclosureServices(env);
  // Binary and attachments (src/binary): raw Binary routes, large content to GridFS on every write, export lines.
  const binary = binaryServices(config);
  const bulk = bulkExportServices(bulkConfig, {
    jobs,
    compileFilter: searchFilterCompiler(searchContext),
    onExportComplete: disclosures.exportCompleted,
    expandLine: binary.exportLine,
  });

  // ICD-10-CM is loaded on first use (under a second, once per process): start-up does not wait for it.
  const icd10cm = () => loadIcd10Cm(config.icd10cmDir);
  const icd10cmCheck = (repo: Repository) => icd10cmResourceCheck(repo, { codeSystem: icd10cm, strict: config.icd10cmStrict });
  const operations: Operation[] = [validate(conformance, icd10cmCheck), verifyChain(() => audit), ...bulk.operations];
  operations.push(patientEverything({ compile: (type, query) => restrictionFilter(searchContext, type, query), movedRecord: mergedRecord }));
  operations.push(documentReferenceDocref((type, query) => restrictionFilter(searchContext, type, query)));
  operations.push(...matching.operations(jobs));
  operations.push(...disclosures.operations);
  operations.push(codeSystemLookup(icd10cm), codeSystemValidateCode(icd10cm));
  const routes: Route[] = [auditSubmitRoute(() => audit), ...authRoutes({ auth: () => auth }), ...jobs.routes, ...binary.routes];
  const completeness = completenessFromEnv(env, searchContext, icd10cm);
  jobs.register(completenessAuditKind(completeness));
  operations.push(encounterCompleteness(completeness), completenessSummary(completeness), completenessAudit(completeness, jobs));
  const merging = mergeRules(env);
  jobs.register(mergeJobKind(merging));
  jobs.register(unmergeJobKind(merging));
  operations.push(merge(merging, jobs), unmerge(merging, jobs));
  const writeHooks: WriteHook[] = [binary.writeHook, completenessHook(completeness), mergeWriteGuard(merging)];
  // Record retention and legal holds (src/retention): the policy, $retention, $hold, $release-hold, the hold hook.
  const retention = retentionServices(env, searchContext);
  operations.push(...retention.operations);
  writeHooks.push(...retention.writeHooks);
  // Certified destruction (src/destruction): its job kinds, operations and the certificate guard.
  const destruction = destructionServices({
    jobs,
    retention: retentionSource(retention.retention),
    audit: (e) => audit?.recordEvent(e),
    env,
    leaseMs: bulkConfig.leaseMs,
  });
  operations.push(...destruction.operations);
  writeHooks.push(...destruction.writeHooks);

  // Delegates to the search API built in `start` (it needs the resolved base URL); a plain object, so callers
  // may copy the services with a spread.
  const search: SearchApi = {
    executeSearch: (...args) => started(searchApi, 'search').executeSearch(...args),
    findMatchingIds: (...args) => started(searchApi, 'search').findMatchingIds(...args),
  };
  const validation: ValidationApi = {
    assertValid: (resource: Resource, repo, mode) =>
      assertValid(conformance, resource, {
        mode,
        referenceExists: (t, id) => repo.exists(t, id),
        storedTypes: (t) => isStorableType(t) && (!config.resourceTypes || config.resourceTypes.has(t)),
        resourceCheck: icd10cmCheck(repo),
      }),
  };
  const importSources = importConfigFromEnv(env);
  jobs.register(importKind({ search, validation, sources: importSources }));
  operations.push(importOperation(jobs, () => importSources));
  operations.push(jobsList({ jobs }));

  return {
    index: indexResource,
    health: () => searchDiagnostics.report(),
    compileRestriction: (type, query) => restrictionFilter(searchContext, type, query),
    searchIndexSpecs: (type) => [...searchIndexSpecs(searchContext, type), ...retention.indexSpecs(type)],
    indexFormat: SEARCH_INDEX_FORMAT,
    search,
    validation,
    capabilities: {
      searchParams: (type) => searchParametersFor(searchContext, type),
      supportedProfiles: (type) => conformance.supportedProfiles(type),
      security: () => (auth ? { ...capabilitySecurity(auth), cors: corsOrigins().length > 0 } : undefined),
      instantiates: bulk.instantiates,
    },
    operations,
    bundle: handleBundle,
    completeBundle: binary.completeBundle,
    routes,
    writeHooks,
    jobs,
    authenticate: authenticateRequest,
    corsOrigins,
    console: () => consoleSettings(env, auth?.issuer ? auth.externalEndpoints.token : undefined),
    onComplete: (done) => audit?.record(auditInputFor(done)),
    async start(core) {
      const baseUrl = core.config.baseUrl;
      auth = await authConfigFromEnv(env, { baseUrl, dataDir: config.dataDir, db: core.store.db });
      if (!isAuthConfigured(auth)) {
        if (!LOOPBACK.has(config.host)) {
          throw new Error(
            `HOST=${config.host} is not a loopback address and no SMART authorization is configured ` +
              '(SMART_ISSUER/SMART_JWKS_URI or SMART_CLIENTS_FILE): refusing to serve health data unauthenticated',
          );
        }
        if (config.corsOrigins && config.corsOrigins.length > 0) {
          throw new Error(
            'CORS_ORIGINS is set but no SMART authorization is configured: any web page the user opens could then read ' +
              'and change the unauthenticated loopback server; configure SMART auth or unset CORS_ORIGINS',
          );
        }
        core.logger.warn('NO AUTHORIZATION CONFIGURED: every request on this loopback interface has full access');
      }
      searchDiagnostics.attach((details, message) => core.logger.warn(details, message));
      searchContext.listensAt(baseUrl);
      searchApi = createSearchApi(searchContext, {
        diagnostics: searchDiagnostics,
        defaultCount: config.defaultPageSize,
        maxCount: config.maxPageSize,
        // AuditEvents are searched by type, not swept into `GET /fhir?...` with patient data.
        systemTypes: () => core.store.knownTypes().filter((t) => isStorableType(t) && t !== 'AuditEvent' && (!config.resourceTypes || config.resourceTypes.has(t))),
      });
      audit = new AuditTrail(core.store.db, {
        sourceName: `fhirstone@${os.hostname()}`,
        baseUrl,
        ensureCollections: () => core.store.ensureType('AuditEvent'),
        index: indexResource,
        search: searchContext,
        onError: (message, err) => core.logger.error({ err }, `audit: ${message}`),
        failedLogins: failedLoginOptionsFromEnv(env),
        protect: destruction.sealAuditText,
      });
      const ms = warmUp(conformance, ['Patient', 'Encounter', 'Condition', 'DocumentReference', 'AuditEvent']);
      core.logger.info({ ms: Math.round(ms) }, 'validation definitions loaded');
      await binary.start(core);
      await matching.start(core, indexResource);
      await retention.start(core.store.db);
      await flagStoredTasksOnce(core.store.db);
      await destruction.start(core);
      await disclosures.start(core);
      await jobs.start(core);
      if (core.metrics) addStoreGauges(core.metrics, core.store.db, () => audit?.pending ?? 0);
    },
    async stop() {
      await jobs.stop();
      binary.stop();
      await audit?.close();
    },
  };
}
