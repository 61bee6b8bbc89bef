/**
 * Server-wide facts index-on-write needs but `buildSearchIndex(resource)` is not given: the public base URL, so
 * absolute references to this server are stored in their relative form. Set once at start-up (configureSearch).
 */
let baseUrl: string | undefined;

export function setSearchBaseUrl(url: string | undefined): void {
  baseUrl = url?.replace(/\/+$/, '');
}

export function searchBaseUrl(): string | undefined {
  return baseUrl;
}
