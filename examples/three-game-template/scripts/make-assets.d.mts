export declare const ASSETS_DIR: string;
export declare const CDN_PORT: number;
export declare const CDN_URL: string;
/** Writes the sample assets and the manifest into an fs store; returns the manifest's URL. */
export declare function makeAssets(options?: { dir?: string; cdnUrl?: string }): Promise<string>;
