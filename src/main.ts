import { ConfigError, loadConfig } from './config';
import { startServer } from './server';
import { defaultServices } from './services';
import { stopOnSignals } from './shutdown';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`Invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const services = await defaultServices(config);
  const server = await startServer(config, services);
  const onSignal = stopOnSignals({ logger: server.logger, close: () => server.close(), exit: (code) => process.exit(code) });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().catch((err: unknown) => {
  process.stderr.write(`Start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
