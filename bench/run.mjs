// `npm run bench`: runs every bench/*.bench.mjs in turn (or those named on the command line) and prints their tables.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here).filter((f) => f.endsWith('.bench.mjs')).filter((f) => only.length === 0 || only.some((o) => f.includes(o))).sort();
let failed = 0;
for (const f of files) {
  console.log(`\n# ${f}`);
  const r = spawnSync(process.execPath, [join(here, f)], { stdio: 'inherit' });
  if (r.status !== 0) { failed++; console.log(`(${f} failed with status ${r.status})`); }
}
process.exit(failed ? 1 : 0);
