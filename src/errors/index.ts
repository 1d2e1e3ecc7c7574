export { MetaLayerError } from './metalayer-error';
export { ConfigError } from './config-error';
export { ContractError } from './contract-error';
export { TransientError } from './transient-error';
export { StepError } from './step-error';
export { isRetryable } from './classify';
export { redact } from './redact';
