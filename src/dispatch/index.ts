export {
  Dispatcher,
  type DispatcherDeps,
  type DispatcherEvents,
  type DispatcherMetrics,
} from './dispatcher.js';
export { dispatcherSettingsFrom, type DispatcherSettings } from './settings.js';
export {
  recoverInDoubt,
  UNKNOWN_AFTER_RESTART,
  type RecoveryDeps,
  type RecoveryOptions,
  type RecoveryReport,
} from './recovery.js';
