#!/usr/bin/env node
// Entry point of `npx metalayer`: TypeScript sources run through tsx's loader, so the CLI,
// the workers it spawns and the tests all execute the same code without a build step.
import { register } from 'tsx/esm/api';

register();
// `metalayer quality | head`: the reader went away; stop quietly, as Unix tools do.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
