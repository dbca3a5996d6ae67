// shared/scenario: the scenario file (parse, check), nemeses, and plans on the run's clock. Pure.
export * from './compile';
export * from './duration';
export * from './model';
export * from './nemesis';
export * from './parse';
export * from './plan-text';
export * from './problems';
export * from './random';
export * from './select';
export * from './timeline';
