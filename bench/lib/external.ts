import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The benches other parts of the project own (bench/engine.ts, search.ts, validation.ts), each run in
 * its own process (`--expose-gc`, so their memory figures are exact and do not include ours) through the async
 * function the module exports. A missing module or function is reported, not fatal.
 */
export async function runExternalBench(module: string, fn: string, args: unknown[]): Promise<unknown> {
  const file = path.join(__dirname, '..', `${module}.js`);
  if (!existsSync(file)) return { skipped: `bench/${module}.ts is not there yet` };
  const out = path.join(os.tmpdir(), `fhirstone-bench-${module}-${process.pid}.json`);
  const script = `
    const m = require(${JSON.stringify(file)});
    const fs = require('node:fs');
    const write = (v) => fs.writeFileSync(${JSON.stringify(out)}, JSON.stringify(v));
    if (typeof m[${JSON.stringify(fn)}] !== 'function') { write({ skipped: 'bench/${module}.ts exports no ${fn}()' }); process.exit(0); }
    m[${JSON.stringify(fn)}](...${JSON.stringify(args)}).then((v) => { write(v); process.exit(0); }, (e) => { console.error(e); process.exit(1); });
  `;
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', '--max-old-space-size=8192', '-e', script], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('exit', resolve);
  });
  if (code !== 0 || !existsSync(out)) return { failed: `bench/${module}.ts exited with ${code}` };
  const value = JSON.parse(readFileSync(out, 'utf8')) as unknown;
  rmSync(out, { force: true });
  return value;
}
