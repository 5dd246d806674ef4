#!/usr/bin/env -S node --
// CommonJS (bin/package.json): Node starts a CommonJS entry faster than an ES module. With the bundle
// step's output (scripts/bundle-cli.mjs), dist/cli/boot.cjs (src/cli/boot.ts) runs src/cli/early.ts (`up`
// starts its supervisor before the CLI loads, a bare --version is answered) and then the verb's CommonJS
// bundle. The ESM CLI runs when boot declines (--help, no verb), and when dist/ is not that build: a `tsc`
// rebuild after the bundle step rewrites dist/cli/main.js, which the manifest records.
'use strict';
const { readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const dist = join(__dirname, '..', 'dist');

/** dist/cjs/manifest.json if the bundles are of the dist/cli/main.js there now. */
function bundled() {
  try {
    const manifest = JSON.parse(readFileSync(join(dist, 'cjs', 'manifest.json'), 'utf8'));
    const st = statSync(join(dist, 'cli', 'main.js'));
    return st.size === manifest.main.size && st.mtimeMs === manifest.main.mtimeMs ? manifest : undefined;
  } catch {
    return undefined;
  }
}

const manifest = bundled();
if (manifest === undefined) {
  import('../dist/cli/early.js').then(({ runEarly }) => runEarly() || import('../dist/cli/main.js'));
} else if (!require('../dist/cli/boot.cjs').boot(manifest)) {
  import('../dist/cli/main.js');
}
