/** Health checks and dependency conditions: see api.ts for the contract. */
export * from './api.js';
export { effectiveHealthcheck, imageTestArgv, testArgv, goDuration } from './config.js';
export { HealthState, truncateOutput, MAX_LOG_ENTRIES, MAX_OUTPUT_BYTES } from './state.js';
export { HealthChecker, realClock } from './checker.js';
export { evaluateDependency, evaluateDependencies, withRestartDependents } from './dependency.js';
export { healthCheckerFor, type HealthCheckerForOptions } from './for-container.js';
