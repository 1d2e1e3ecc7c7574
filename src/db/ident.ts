import { ConfigError } from '../errors/config-error';

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** Validates an identifier (lower-case letters, digits, underscores) and double-quotes it. */
export function quoteIdent(name: string): string {
  if (!IDENT.test(name)) {
    throw new ConfigError(`invalid SQL identifier ${JSON.stringify(name)}: use lower-case letters, digits and _ (at most 63)`);
  }
  return `"${name}"`;
}

/** schema.table, both parts validated and quoted. */
export function qualified(schema: string, table: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(table)}`;
}
