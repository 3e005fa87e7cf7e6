/**
 * The local CDN server: serves an `fsDriver` directory to browsers and accepts presigned uploads.
 * @module @kiln/storage/serve
 */
export { CDN_SERVER_DEFAULTS } from './options.js';
export type { CdnLogger, CdnServerOptions } from './options.js';
export { createCdnRequestHandler, startCdnServer } from './cdn-server.js';
export type { CdnRequestHandler, CdnServer } from './cdn-server.js';
