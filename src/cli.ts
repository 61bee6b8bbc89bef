#!/usr/bin/env node
import { LOAD_USAGE, runLoad } from './loader/command';
import { BACKUP_USAGE, runBackup, runRestore } from './processes/backup-command';
import { ENGINE_USAGE, runEngine } from './processes/engine-process';
import { workerCount } from './processes/workers';

const USAGE = `Usage: fhirstone <command> [options]

Commands:
  serve [--workers N] Start the FHIR server (configuration from the environment, as npm start); with --workers N
                      (or WORKERS=N), N server processes on one port, sharing one store.
  engine [--port N]   Run the embedded engine alone, for several servers to share through MONGODB_URI.
  backup <dir>        Copy the embedded store while the server runs; restore <dir> puts a copy back.
  load <paths>...     Load bundle and NDJSON files into a server (fhirstone load --help).

${ENGINE_USAGE}

${BACKUP_USAGE}

${LOAD_USAGE}`;

async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'load':
      return runLoad(rest);
    case 'engine':
      return runEngine(rest);
    case 'backup':
      return runBackup(rest);
    case 'restore':
      return runRestore(rest);
    case 'serve': {
      // --workers N is WORKERS=N for main.ts, which runs the cluster's primary when it is set.
      const workers = workerCount(rest, process.env);
      if (workers !== undefined) process.env.WORKERS = String(workers);
      // main.ts starts the server when loaded and owns the process from then on (signals, exit).
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for this command
      require('./main');
      return undefined;
    }
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`Unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
