import path from 'node:path';
import { ConfigError, loadConfig } from '../src/config';

const expectConfigError = (env: Record<string, string>, message: RegExp) => {
  expect(() => loadConfig(env)).toThrow(ConfigError);
  expect(() => loadConfig(env)).toThrow(message);
};

describe('loadConfig defaults', () => {
  it('serves on 127.0.0.1:8080 on the embedded store in ./data when nothing is set', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 8080, host: '127.0.0.1', mongoUri: undefined, mongoDb: 'fhir', logLevel: 'info', embeddedThread: 'worker' });
    expect(c.dataDir).toBe(path.resolve('data'));
    expect(c.baseUrl).toBeUndefined();
    expect(c.resourceTypes).toBeUndefined();
    expect(c.bodyLimit).toBeGreaterThanOrEqual(1024 * 1024);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', MONGODB_URI: '', LOG_LEVEL: '', BODY_LIMIT: '' })).toMatchObject({ port: 8080, mongoUri: undefined });
  });
});

describe('loadConfig reads each variable', () => {
  it('PORT, HOST, FHIR_BASE_URL (trailing slash removed), MONGODB_URI, MONGODB_DB, DATA_DIR, LOG_LEVEL', () => {
    const c = loadConfig({
      PORT: '9090',
      HOST: '0.0.0.0',
      FHIR_BASE_URL: 'https://fhir.example.org/r4/',
      MONGODB_URI: 'mongodb://db:27017/?replicaSet=rs0',
      MONGODB_DB: 'clinic_1',
      DATA_DIR: '/var/lib/fhir',
      LOG_LEVEL: 'warn',
    });
    expect(c).toMatchObject({
      port: 9090,
      host: '0.0.0.0',
      baseUrl: 'https://fhir.example.org/r4',
      mongoUri: 'mongodb://db:27017/?replicaSet=rs0',
      mongoDb: 'clinic_1',
      dataDir: '/var/lib/fhir',
      logLevel: 'warn',
    });
  });

  it('BODY_LIMIT as bytes or with a kb/mb/gb unit, in any case', () => {
    expect(loadConfig({ BODY_LIMIT: '5000' }).bodyLimit).toBe(5000);
    expect(loadConfig({ BODY_LIMIT: '2kb' }).bodyLimit).toBe(2048);
    expect(loadConfig({ BODY_LIMIT: '16MB' }).bodyLimit).toBe(16 * 1024 * 1024);
  });

  it('CORS_ORIGINS as *, none, or a list of origins; anything with a path or of another scheme is refused', () => {
    expect(loadConfig({}).corsOrigins).toBeUndefined();
    expect(loadConfig({ CORS_ORIGINS: '*' }).corsOrigins).toBe('*');
    expect(loadConfig({ CORS_ORIGINS: 'none' }).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, http://localhost:3000' }).corsOrigins).toEqual(['https://a.example', 'http://localhost:3000']);
    expectConfigError({ CORS_ORIGINS: 'https://a.example/' }, /CORS_ORIGINS lists origins/);
    expectConfigError({ CORS_ORIGINS: 'ftp://a.example' }, /CORS_ORIGINS lists origins/);
  });

  it('FHIR_RESOURCE_TYPES as a comma-separated list, spaces allowed', () => {
    expect([...(loadConfig({ FHIR_RESOURCE_TYPES: 'Patient, Encounter ,Condition' }).resourceTypes ?? [])].sort()).toEqual(['Condition', 'Encounter', 'Patient']);
  });

  it('accepts mongodb+srv URIs', () => {
    expect(loadConfig({ MONGODB_URI: 'mongodb+srv://cluster.example.net/fhir' }).mongoUri).toBe('mongodb+srv://cluster.example.net/fhir');
  });
});

describe('loadConfig refuses invalid configuration with a message naming the variable', () => {
  it('PORT that is not an integer or out of range', () => {
    expectConfigError({ PORT: 'eighty' }, /PORT/);
    expectConfigError({ PORT: '80.5' }, /PORT/);
    expectConfigError({ PORT: '-1' }, /PORT/);
    expectConfigError({ PORT: '65536' }, /PORT.*65535/);
  });

  it('MONGODB_URI that is not a mongodb:// or mongodb+srv:// URI', () => {
    expectConfigError({ MONGODB_URI: 'http://localhost:27017' }, /MONGODB_URI/);
    expectConfigError({ MONGODB_URI: 'localhost:27017' }, /MONGODB_URI/);
  });

  it('MONGODB_DB that MongoDB would not accept', () => {
    expectConfigError({ MONGODB_DB: 'has space' }, /MONGODB_DB/);
    expectConfigError({ MONGODB_DB: 'a.b' }, /MONGODB_DB/);
  });

  it('LOG_LEVEL outside the known levels, listing the allowed ones', () => {
    expectConfigError({ LOG_LEVEL: 'loud' }, /LOG_LEVEL.*info/);
    expectConfigError({ LOG_LEVEL: 'INFO' }, /LOG_LEVEL/);
  });

  it('EMBEDDED_THREAD other than worker or main', () => {
    expect(loadConfig({ EMBEDDED_THREAD: 'main' }).embeddedThread).toBe('main');
    expectConfigError({ EMBEDDED_THREAD: 'process' }, /EMBEDDED_THREAD.*worker/);
  });

  it('ICD10CM_STRICT other than true or false (default false)', () => {
    expect(loadConfig({}).icd10cmStrict).toBe(false);
    expect(loadConfig({ ICD10CM_STRICT: 'true' }).icd10cmStrict).toBe(true);
    expectConfigError({ ICD10CM_STRICT: 'yes' }, /ICD10CM_STRICT must be one of true, false/);
  });

  it('BODY_LIMIT that is not a size', () => {
    expectConfigError({ BODY_LIMIT: 'big' }, /BODY_LIMIT/);
    expectConfigError({ BODY_LIMIT: '12 parsecs' }, /BODY_LIMIT/);
    expectConfigError({ BODY_LIMIT: '-5mb' }, /BODY_LIMIT/);
  });

  it('FHIR_RESOURCE_TYPES naming types that are not R4 resource types, listing them', () => {
    expectConfigError({ FHIR_RESOURCE_TYPES: 'Patient,Unicorn,Dragon' }, /FHIR_RESOURCE_TYPES.*Unicorn, Dragon/);
    expectConfigError({ FHIR_RESOURCE_TYPES: 'patient' }, /FHIR_RESOURCE_TYPES/);
  });

  it('FHIR_BASE_URL that is not an absolute http(s) URL', () => {
    expectConfigError({ FHIR_BASE_URL: '/fhir' }, /FHIR_BASE_URL/);
    expectConfigError({ FHIR_BASE_URL: 'ftp://example.org/fhir' }, /FHIR_BASE_URL/);
  });
});

describe('BODY_LIMIT lower bound', () => {
  it('rejects a limit that would refuse every body', () => {
    expect(() => loadConfig({ BODY_LIMIT: '0' })).toThrow(/BODY_LIMIT must be at least/);
  });
});

describe('metrics', () => {
  it('are on, on the API port, without store command times, unless configured', () => {
    expect(loadConfig({}).metrics).toEqual({ enabled: true, port: undefined, host: '127.0.0.1', storeCommands: false });
    expect(loadConfig({ METRICS: 'off', METRICS_PORT: '9464', METRICS_HOST: '10.0.0.2', METRICS_STORE_COMMANDS: 'true' }).metrics).toEqual({
      enabled: false,
      port: 9464,
      host: '10.0.0.2',
      storeCommands: true,
    });
  });

  it('refuses a value it does not know', () => {
    expectConfigError({ METRICS: 'yes' }, /METRICS/);
    expectConfigError({ METRICS_PORT: '70000' }, /METRICS_PORT/);
    expectConfigError({ METRICS_STORE_COMMANDS: '1' }, /METRICS_STORE_COMMANDS/);
  });
});
