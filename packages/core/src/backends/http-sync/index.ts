export { httpSyncBackend, HTTP_SYNC_DEFAULTS } from './backend.js';
export type { HttpSyncBackend, HttpSyncBackendOptions } from './backend.js';
export { HttpSyncApiSchema, parseHttpSyncApi, STABILITY_SF3D } from './api.js';
export type { HttpSyncApi, ResolvedHttpSyncApi } from './api.js';
