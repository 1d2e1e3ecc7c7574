import type { LongRunning } from './processes';

/** The server logins the tests configure: an admin, and a viewer who may only look. */
export const ADMIN = { user: 'ops-admin', password: 'admin-secret-1' };
export const VIEWER = { user: 'ops-viewer', password: 'viewer-secret-1' };

/** Environment variables that configure both logins. */
export const LOGIN_ENV: Record<string, string> = {
  METALAYER_ADMIN_USER: ADMIN.user,
  METALAYER_ADMIN_PASSWORD: ADMIN.password,
  METALAYER_VIEWER_USER: VIEWER.user,
  METALAYER_VIEWER_PASSWORD: VIEWER.password,
};

export const basicAuth = (u: { user: string; password: string }): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${u.user}:${u.password}`).toString('base64')}`,
});

/** The URL a `metalayer server` process logged once it listened. */
export async function serverUrl(p: LongRunning): Promise<string> {
  return JSON.parse(await p.waitForLog(/"msg":"server listening"/)).url as string;
}
