import type { Resource } from 'fhir/r4';
import { conflict } from '../errors/operation-outcome-error';
import type { WriteHook } from '../store/write-hooks';
import { CERTIFICATE } from './certificate';

const GUARDED = new Set(['DocumentReference', 'Binary']);

/** Is the stored text a certificate of destruction or one of its attachments (tagged so)? */
export function isCertificate(text: string): boolean {
  if (!text.includes(CERTIFICATE.code!)) return false;
  const resource = JSON.parse(text) as Resource;
  return (resource.meta?.tag ?? []).some((t) => t.system === CERTIFICATE.system && t.code === CERTIFICATE.code);
}

/**
 * A certificate of destruction is kept forever: once stored, neither it nor its attachments may be changed or
 * deleted, whatever the path (REST, bundle, operation). It names no patient, so no destruction ever takes it.
 */
export const certificateGuard: WriteHook = {
  name: 'destruction-certificate-guard',
  async before(_repo, event) {
    if (!GUARDED.has(event.type) || !event.previous || event.previous.del || !isCertificate(event.previous.r)) return;
    throw conflict(
      `${event.type}/${event.id} belongs to a certificate of destruction, which is kept forever: it cannot be ${event.op === 'delete' ? 'deleted' : 'changed'}`,
    );
  },
};
