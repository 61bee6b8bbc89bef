import { downloadLines } from '../helpers/ndjson';
import type { TestServer } from '../helpers/server';
import { as } from './policies';

/** Kicks off an audit, polls it to the end, and returns its manifest, Tasks and report (counts per rule). */
export async function audit(server: TestServer, parameter: object[] = [], token = 'admin') {
  const kick = await server.json('POST', '$completeness-audit', { resourceType: 'Parameters', parameter }, as(token));
  if (kick.status !== 202) throw new Error(`kick-off: ${kick.status} ${JSON.stringify(kick.body)}`);
  const path = (kick.headers.get('content-location') as string).slice(server.baseUrl.length + 1);
  for (;;) {
    const res = await server.json('GET', path, undefined, as(token));
    if (res.status === 200) {
      const rows = await downloadLines(res.body.output, token);
      const report: Record<string, Record<string, number>> = {};
      for (const p of rows.find((r) => r.resourceType === 'Parameters').parameter) {
        report[p.part[0].valueCoding.code] = Object.fromEntries(p.part.slice(1).map((x: any) => [x.name, x.valueInteger]));
      }
      return { manifest: res.body, tasks: rows.filter((r) => r.resourceType === 'Task'), report };
    }
    if (res.status !== 202) throw new Error(`status: ${res.status} ${JSON.stringify(res.body)}`);
    expect(res.headers.get('x-progress')).toMatch(/^queued$|rules done/);
    await new Promise((r) => setTimeout(r, 25));
  }
}
