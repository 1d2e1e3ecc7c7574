#!/usr/bin/env node
// Entry point of `npx metalayer`. The TypeScript sources run bundled (bin/compiled-entry.mjs:
// rebuilt on the first start after any source changed), or through tsx's loader when no bundle
// can be made; either way the CLI, the workers it spawns and the tests run the same sources
// without a build step to remember.
import { compiledEntry } from './compiled-entry.mjs';

// `metalayer quality | head`: the reader went away; stop quietly, as Unix tools do.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const bundled = await compiledEntry();
let main;
if (bundled) {
  ({ main } = await import(bundled));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
process.exitCode = await main(process.argv);
