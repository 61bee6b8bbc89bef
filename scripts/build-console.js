#!/usr/bin/env node
// Builds the records console (console/) into dist/console with esbuild: one JavaScript and one CSS file, minified,
// no inline script or style (the server serves it under a strict Content-Security-Policy). Prints the sizes,
// gzipped as the server sends them. `npm run build` and `npm start` (scripts/build-if-needed.js) run it.
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const root = path.join(__dirname, '..');
const source = path.join(root, 'console');
const outdir = path.join(root, 'dist', 'console');

async function buildConsole({ quiet = false } = {}) {
  const esbuild = require('esbuild');
  fs.rmSync(outdir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [path.join(source, 'src', 'main.tsx')],
    outdir,
    entryNames: 'main',
    // Code loaded on demand (the SMART sign-in's OAuth client) in chunks of its own beside main.js.
    splitting: true,
    chunkNames: 'chunk-[hash]',
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'esm',
    target: ['chrome120', 'firefox120', 'safari17'],
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    legalComments: 'linked',
    logLevel: quiet ? 'error' : 'warning',
  });
  fs.copyFileSync(path.join(source, 'index.html'), path.join(outdir, 'index.html'));
  const chunks = fs.readdirSync(outdir).filter((f) => /^chunk-.*\.js$/.test(f));
  const sizes = ['main.js', 'main.css', ...chunks].map((f) => {
    const bytes = fs.readFileSync(path.join(outdir, f));
    return `${f} ${(bytes.length / 1024).toFixed(0)} KiB (${(zlib.gzipSync(bytes).length / 1024).toFixed(0)} KiB gzipped)`;
  });
  if (!quiet) process.stderr.write(`console built in dist/console: ${sizes.join(', ')}\n`);
}

function newestMtime(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const t = entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs;
    if (t > newest) newest = t;
  }
  return newest;
}

/** The build is current when its page is newer than every file of console/ and than package-lock.json. */
function consoleIsCurrent() {
  const page = path.join(outdir, 'index.html');
  if (!fs.existsSync(page) || !fs.existsSync(path.join(outdir, 'main.js'))) return false;
  const lock = path.join(root, 'package-lock.json');
  return fs.statSync(page).mtimeMs >= Math.max(newestMtime(source), fs.existsSync(lock) ? fs.statSync(lock).mtimeMs : 0);
}

module.exports = { buildConsole, consoleIsCurrent, newestMtime, source, outdir };

// `node scripts/build-console.js [--if-needed]`
if (require.main === module) {
  const skip = process.argv.includes('--if-needed') && consoleIsCurrent();
  (skip ? Promise.resolve() : buildConsole()).catch((err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(1);
  });
}
