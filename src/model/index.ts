/** The IDM model: pure, synchronous functions over plain data (safe to import from workflow code). */
export * from './paths';
export * from './expressions';
export * from './deltas';
export * from './mappings';
export * from './assignment-values';
export * from './inbound';
export * from './template';
export * from './roles';
export * from './resources';
export * from './outbound';
export * from './projector';
export * from './situation';
export * from './reactions';
export * from './iteration';
export * from './reconciliation';
export * from './model-errors';
