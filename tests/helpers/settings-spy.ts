import type pg from 'pg';

/**
 * Watches `client` for statements whose text matches `sent`: just before each is sent, reads the
 * named settings on the same connection (so, as that statement will run with them). `stop()`
 * puts the client's own query method back.
 */
export function settingsWhenSent(client: pg.ClientBase, sent: RegExp, names: string[]): { seen: Record<string, string>[]; stop: () => void } {
  const seen: Record<string, string>[] = [];
  const own = client.query;
  const hadOwn = Object.prototype.hasOwnProperty.call(client, 'query');
  const query = own.bind(client) as (...args: unknown[]) => Promise<pg.QueryResult>;
  (client as { query: unknown }).query = async (...args: unknown[]) => {
    // (currentSettings below calls client.query, which is this function: its text never matches `sent`.)
    const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
    if (text !== undefined && sent.test(text)) {
      seen.push(await currentSettings(client, names));
    }
    return query(...args);
  };
  const stop = (): void => {
    if (hadOwn) (client as { query: unknown }).query = own;
    else delete (client as { query?: unknown }).query; // the prototype's again
  };
  return { seen, stop };
}

/** The named settings' current values on `client`. */
export async function currentSettings(client: pg.ClientBase, names: string[]): Promise<Record<string, string>> {
  const { rows } = await client.query<{ name: string; value: string }>('select name, current_setting(name) as value from unnest($1::text[]) as s(name)', [names]);
  return Object.fromEntries(rows.map((r) => [r.name, r.value]));
}
