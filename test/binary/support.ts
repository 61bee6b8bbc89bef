import type { SecureServer } from '../security/support';

/** Stores `text` as the raw content of Binary `id` with a system token, `X-Security-Context: context` when given. */
export async function rawPut(server: SecureServer, id: string, text: string, context?: string): Promise<void> {
  const res = await server.api(`Binary/${id}`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${await server.sign({ scope: 'system/*.*' })}`,
      'content-type': 'text/plain',
      ...(context ? { 'x-security-context': context } : {}),
    },
    body: text,
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`PUT Binary/${id}: ${res.status} ${await res.text()}`);
}
