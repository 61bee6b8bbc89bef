import type { Parameters, ParametersParameter } from 'fhir/r4';
import { badRequest } from '../errors/operation-outcome-error';
import { isTypeName } from '../router/paths';

/** One NDJSON file to import: its resource type and where it is. */
export interface ImportInput {
  type: string;
  url: string;
}

export interface ImportRequest {
  inputSource?: string;
  inputs: ImportInput[];
}

export const NDJSON_FORMAT = 'application/fhir+ndjson';

const text = (p: ParametersParameter | undefined) => p?.valueCode ?? p?.valueUri ?? p?.valueUrl ?? p?.valueString;

/**
 * The `Parameters` of the Bulk Data import proposal as HAPI FHIR accepts them: `inputFormat`
 * (`application/fhir+ndjson`), `inputSource` (a URI naming the system the data comes from), and one `input` per
 * file with parts `type` (a resource type) and `url`. `storageDetail` is accepted and ignored (the server reads
 * what its configuration allows, nothing else); anything else is 400.
 */
export function parseImportParameters(body: unknown): ImportRequest {
  const params = body as Parameters | undefined;
  if (!params || typeof params !== 'object' || params.resourceType !== 'Parameters') throw badRequest('$import takes a Parameters resource');
  const all = params.parameter ?? [];
  const unknown = all.find((p) => !['inputFormat', 'inputSource', 'input', 'storageDetail'].includes(String(p.name)));
  if (unknown) throw badRequest(`$import has no parameter "${unknown.name}"`, 'Parameters.parameter');
  const formats = all.filter((p) => p.name === 'inputFormat');
  if (formats.length !== 1 || text(formats[0]) !== NDJSON_FORMAT) throw badRequest(`$import needs one inputFormat, ${NDJSON_FORMAT}`, 'inputFormat');
  const sources = all.filter((p) => p.name === 'inputSource');
  if (sources.length > 1) throw badRequest('inputSource may be given once', 'inputSource');
  const inputs = all
    .filter((p) => p.name === 'input')
    .map((p, i): ImportInput => {
      const part = (name: string) => (p.part ?? []).filter((x) => x.name === name);
      const [type, url] = [part('type'), part('url')].map((found) => (found.length === 1 ? text(found[0]) : undefined));
      if (!type || !isTypeName(type)) throw badRequest(`input ${i + 1} needs one part "type", a resource type`, 'input.type');
      if (!url) throw badRequest(`input ${i + 1} needs one part "url"`, 'input.url');
      return { type, url };
    });
  if (inputs.length === 0) throw badRequest('$import needs at least one input', 'input');
  return { inputSource: text(sources[0]), inputs };
}
