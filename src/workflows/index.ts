/** Every workflow type the worker registers. Workflow code imports types and pure code only. */
export { processChange } from './process-change';
export { provisionUser } from './provision-user';
export { provisionRole } from './provision-role';
export { provisionAccount } from './provision-account';
export { deleteUser } from './delete-user';
export { reconcileResource, importFromResource } from './resource-run';
export { liveSync } from './live-sync';
export { activationTimer } from './activation-timer';
