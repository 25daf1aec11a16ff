export * from './types';
export * from './bg-nbd';
export * from './gamma-gamma';
export * from './grouping';
export * from './plausibility';
