#!/usr/bin/env node
import { LOAD_USAGE, runLoad } from './loader/command';

const USAGE = `Usage: fhirstone <command> [options]

Commands:
  serve               Start the FHIR server (configuration from the environment, as npm start).
  load <paths>...     Load bundle and NDJSON files into a server (fhirstone load --help).

${LOAD_USAGE}`;

async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'load':
      return runLoad(rest);
    case 'serve':
      // main.ts starts the server when loaded and owns the process from then on (signals, exit).
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only for this command
      require('./main');
      return undefined;
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
