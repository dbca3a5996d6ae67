export * from './calls';
export * from './chaos-api';
export * from './events';
export * from './input';
export * from './model';
export * from './result';
export * from './values';
export * from './wire';
