// shared/protection: spoof-protection presets. Pure TypeScript.
export * from './presets';
