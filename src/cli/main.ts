import { Command } from 'commander';
import { MetaLayerError } from '../errors/metalayer-error';
import { redact } from '../errors/redact';
import { registerCommands } from './commands';

/** The CLI entry: parses argv, runs one command, returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('metalayer')
    .description('MetaLayer: CRM/ERP CSV exports → PostgreSQL warehouse (bronze, silver, gold) through BullMQ flows')
    .exitOverride()
    .showHelpAfterError();
  let exitCode = 0;
  registerCommands(program, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return 0;
    if (e.code?.startsWith('commander.')) return e.exitCode ?? 2;
    const kind = err instanceof MetaLayerError ? `${err.code} error` : 'error';
    process.stderr.write(`metalayer: ${kind}: ${redact(e.message)}\n`);
    return err instanceof MetaLayerError && !err.retryable ? 2 : 1;
  }
}
