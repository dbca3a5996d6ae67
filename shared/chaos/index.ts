// shared/chaos: cuts, Jepsen topologies and the planner. Pure TypeScript.
export * from './cover';
export * from './cut';
export * from './enforcement';
export * from './naming';
export * from './planner';
export * from './snapshot';
export * from './topology';
