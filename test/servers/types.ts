/** An S3-compatible endpoint the integration tests can talk to. */
export interface S3Target {
  name: 's3rver' | 'rgw';
  /** http://127.0.0.1:PORT */
  endpoint: string;
  /** 'us-east-1' */
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** true when the server verifies SigV4 signatures, conditional writes (If-None-Match), multipart abort/list (RGW) */
  strict: boolean;
}

/** A test server started by the global setup; `stop()` kills it and removes its temporary files. */
export interface RunningServer {
  target: S3Target;
  stop(): Promise<void>;
}
