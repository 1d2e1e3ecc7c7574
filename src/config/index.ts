export { DEFAULTS } from './defaults';
export { loadConfig, resetConfig, type Config } from './env';
