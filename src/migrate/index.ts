export { migrate, readMigrations, type Migration, type MigrateResult } from './migrator';
