import { hostname } from 'node:os';
import type { Config } from '../config';
import type { Route } from '../router/route';
import type { RunningServerCore } from '../server';
import type { WriteHook } from '../store/write-hooks';
import { bundleBinaryData } from './bundle-data';
import { BinaryBytes } from './byte-store';
import { UploadSweeper } from './sweep';
import { binaryExportLine } from './export-line';
import { binaryHook } from './hook';
import { binaryRoutes } from './routes';

export { BinaryBytes, BINARY_BUCKET, removeBinaryBytes } from './byte-store';
export { attachmentsOf } from './attachments';

/** Uploads of writes that did not complete are swept at start and this often after (by one process per period). */
const SWEEP_MS = 60 * 60 * 1000;

/**
 * Binary and attachments (README "Binary and attachments"): Binary's raw routes, the write hook that keeps large
 * content out of resource text, and the GridFS bucket both use.
 */
export function binaryServices(config: Pick<Config, 'bodyLimit' | 'binaryBodyLimit' | 'attachmentInlineLimit' | 'binaryBundleDataLimit'>) {
  const bytes = new BinaryBytes();
  let timer: NodeJS.Timeout | undefined;
  const jsonLimit = Math.floor((config.bodyLimit * 3) / 4);
  const routes: Route[] = binaryRoutes({ bytes, bodyLimit: config.binaryBodyLimit, jsonLimit });
  const writeHook: WriteHook = binaryHook({ bytes, inlineLimit: config.attachmentInlineLimit });
  return {
    bytes,
    routes,
    writeHook,
    /** Searchset and history Bundles: Binary bytes as `data`, up to BINARY_BUNDLE_DATA_LIMIT per Bundle. */
    completeBundle: bundleBinaryData(bytes, config.binaryBundleDataLimit ?? jsonLimit),
    /** For bulk export: Binary lines with their bytes. */
    exportLine: binaryExportLine(bytes, jsonLimit),
    async start(core: Pick<RunningServerCore, 'store' | 'logger'>): Promise<void> {
      await bytes.init(core.store.db);
      const sweeper = new UploadSweeper(core.store.db, { owner: `${hostname()}:${process.pid}`, leaseMs: SWEEP_MS - 60_000 });
      const sweep = () =>
        sweeper.sweep().then(
          ({ files, unfinished }) => (files || unfinished) && core.logger.info({ files, unfinished }, 'binary: removed the uploads of writes that did not complete'),
          (err: unknown) => core.logger.warn({ err }, 'binary: sweeping pending uploads failed'),
        );
      await sweep();
      timer = setInterval(() => void sweep(), SWEEP_MS).unref();
    },
    stop(): void {
      clearInterval(timer);
    },
  };
}
