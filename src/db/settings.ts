import type pg from 'pg';

/**
 * Reading and setting server settings for the rest of a transaction, by name and as values (never
 * SQL text): what a step changes for one statement and puts back after.
 */

/** The named settings' current values. */
export async function currentSettings(client: pg.ClientBase, names: readonly string[]): Promise<Record<string, string>> {
  const { rows } = await client.query<{ name: string; value: string }>('select name, current_setting(name) as value from unnest($1::text[]) as s(name)', [
    names,
  ]);
  return Object.fromEntries(rows.map((r) => [r.name, r.value]));
}

/** Sets each setting for the rest of the transaction (set_config(…, true)). */
export async function setLocalSettings(client: pg.ClientBase, settings: Record<string, string>): Promise<void> {
  const names = Object.keys(settings);
  if (names.length === 0) return;
  await client.query('select set_config(name, value, true) from unnest($1::text[], $2::text[]) as s(name, value)', [
    names,
    names.map((n) => settings[n]!),
  ]);
}

/** Sets `settings` for the rest of the transaction; the returned function puts back the values they had. */
export async function setLocalSettingsUntilRestored(client: pg.ClientBase, settings: Record<string, string>): Promise<() => Promise<void>> {
  const before = await currentSettings(client, Object.keys(settings));
  await setLocalSettings(client, settings);
  return () => setLocalSettings(client, before);
}
