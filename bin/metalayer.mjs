#!/usr/bin/env node
// Entry point of `npx metalayer`: TypeScript sources run through tsx's loader, so the CLI,
// the workers it spawns and the tests all execute the same code without a build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
