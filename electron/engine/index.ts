// The engine: plain Node, no Electron. The CLI, `kvm-chaos serve`, Electron's main process and
// the lab tests all start it the same way.
export { createEngine } from './engine';
export { fileProfiles, memoryProfiles } from './profiles';
export type { Engine, EngineOptions, HostProfile, HostProfileStore } from './types';
