export { createPool, withTransaction, ensureDatabase, withDefaultUser, type Pool, type PoolClient } from './pool';
export { quoteIdent, qualified } from './ident';
export { loadSql, SQL_ROOT } from './sql-files';
export { setRunContext } from './run-context';
