#!/usr/bin/env node
// `npm start` on a fresh clone must work without a separate build step: compile when dist/ is missing or older
// than any source file, the server's or a workspace package's (tsc -b builds the packages first, as `npm run build`).
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { buildConsole, consoleIsCurrent, newestMtime } = require('./build-console');

const root = path.join(__dirname, '..');
const marker = path.join(root, 'dist', 'src', 'main.js');

// Each workspace package: its sources, and the built file it is loaded from (its package.json's main).
const sources = [path.join(root, 'src'), path.join(root, 'bench')];
const packageMains = [];
for (const name of fs.readdirSync(path.join(root, 'packages'))) {
  const dir = path.join(root, 'packages', name);
  sources.push(path.join(dir, 'src'));
  packageMains.push(path.join(dir, require(path.join(dir, 'package.json')).main));
}

// tsc -b refreshes the server's outputs whenever a package it depends on was rebuilt, so one marker dates them all.
const built = fs.existsSync(marker) && packageMains.every((f) => fs.existsSync(f)) ? fs.statSync(marker).mtimeMs : 0;
if (built < Math.max(...sources.map(newestMtime))) {
  process.stderr.write('building (tsc)...\n');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
}

// The records console (console/, served at /console): esbuild, a few seconds, when its sources changed.
if (!consoleIsCurrent()) {
  process.stderr.write('building the console (esbuild)...\n');
  buildConsole().catch((err) => {
    process.stderr.write(`${err.stack ?? err}\n`);
    process.exit(1);
  });
}
