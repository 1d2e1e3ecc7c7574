export * from './source-contract';
export { RETAIL_SOURCES, SILVER_ENTITIES, sourceByName } from './retail';
export { mapHeader, type HeaderMapping } from './header';
