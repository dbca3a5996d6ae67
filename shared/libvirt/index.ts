// shared/libvirt: libvirt's XML vocabulary as typed values, parsers and builders. Pure TypeScript.
export * from './binding';
export * from './domain';
export * from './errors';
export * from './filterref';
export * from './network';
export * from './nwfilter';
export * from './values';
export * from './xml';
