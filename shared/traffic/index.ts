export * from './cut-drops';
export * from './ebtables';
export * from './rates';
