import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config/env';

export type Role = 'admin' | 'viewer';

/** Methods that only read. Everything else (Bull Board's retry, clean, pause, remove…) writes. */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Compares secrets in constant time (hashing first makes the lengths equal). */
function same(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

function basicCredentials(header: string | undefined): { name: string; password: string } | null {
  if (!header?.startsWith('Basic ')) return null;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { name: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * HTTP basic authentication against the logins in the config. With no logins configured every
 * request is admin — the server then listens on 127.0.0.1 only (see src/server/start-server.ts).
 * A viewer may read; any writing request from a viewer gets 403.
 */
export function authenticate(users: Config['users']) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (users.length === 0) {
      res.locals.role = 'admin' satisfies Role;
      return next();
    }
    const given = basicCredentials(req.headers.authorization);
    let role: Role | null = null;
    for (const u of users) if (given && same(given.name, u.name) && same(given.password, u.password)) role = u.role;
    if (!role) {
      res.set('WWW-Authenticate', 'Basic realm="MetaLayer", charset="UTF-8"').status(401).json({ error: 'authentication required' });
      return;
    }
    res.locals.role = role;
    if (role === 'viewer' && !READ_METHODS.has(req.method)) {
      res.status(403).json({ error: 'the viewer role may not change anything' });
      return;
    }
    next();
  };
}
