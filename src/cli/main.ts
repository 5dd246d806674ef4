/** The CLI's ESM entry (bundled with every verb a lazy chunk); the work is in run.ts. */
import { main } from './run.js';
import { registerAll } from './verbs/index.js';

export { reportError } from './run.js';

await main(process.argv, registerAll);
