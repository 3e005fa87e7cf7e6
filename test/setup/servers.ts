// Vitest global setup: starts the S3 test servers and PostgreSQL once per run and hands their targets to the tests
// (`inject('s3Targets')`, see test/servers/targets.ts).
//
// KILN_TEST_S3 selects the servers:
//   unset or `all`  s3rver (lenient, fast) and Ceph radosgw (strict: SigV4, conditional writes, multipart)
//   `s3rver`        s3rver only (no Debian packages needed)
//   `rgw`           radosgw only
//   `none`          no server; S3 tests see an empty target list
//
// KILN_TEST_PG selects PostgreSQL (for @kiln/core's Postgres JobStore, test/servers/postgres.ts):
//   unset or `on`   a private cluster (initdb + pg_ctl, 127.0.0.1, random port, temporary directory)
//   `none`          no server; the Postgres tests are skipped (`inject('postgresUrl')` is undefined)
import type { TestProject } from 'vitest/node';
import { startPostgres, type RunningPostgres } from '../servers/postgres.js';
import { startRgw } from '../servers/rgw.js';
import { startS3rver } from '../servers/s3rver.js';
import type { RunningServer, S3Target } from '../servers/types.js';

declare module 'vitest' {
  export interface ProvidedContext {
    s3Targets: S3Target[];
    /** Connection string of the private PostgreSQL; undefined with KILN_TEST_PG=none. */
    postgresUrl: string | undefined;
  }
}

type ServerName = S3Target['name'];

const starters: Record<ServerName, () => Promise<RunningServer>> = {
  s3rver: startS3rver,
  rgw: startRgw,
};

function selectedServers(value = process.env.KILN_TEST_S3?.trim() ?? ''): ServerName[] {
  switch (value.toLowerCase()) {
    case '':
    case 'all':
      return ['s3rver', 'rgw'];
    case 's3rver':
      return ['s3rver'];
    case 'rgw':
      return ['rgw'];
    case 'none':
      return [];
    default:
      throw new Error(`KILN_TEST_S3=${value} is not one of: all (the default), s3rver, rgw, none`);
  }
}

function postgresWanted(value = process.env.KILN_TEST_PG?.trim() ?? ''): boolean {
  switch (value.toLowerCase()) {
    case '':
    case 'on':
      return true;
    case 'none':
      return false;
    default:
      throw new Error(`KILN_TEST_PG=${value} is not one of: on (the default), none`);
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The AWS SDK (used here for RGW's readiness check) warns once per process that its releases after
  // January 2027 need Node >= 22; the SDK's documented switch turns that off. The workers get the same
  // variable from test/vitest.config.ts.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

  const names = selectedServers();
  const withPostgres = postgresWanted();
  const [results, pgResult] = await Promise.all([
    Promise.allSettled(names.map((name) => starters[name]())),
    withPostgres ? Promise.allSettled([startPostgres()]) : Promise.resolve([]),
  ]);
  const running = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const postgres: RunningPostgres | undefined = pgResult[0]?.status === 'fulfilled' ? pgResult[0].value : undefined;
  const failures = [...results, ...pgResult].flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));

  const teardown = async () => {
    const stops = await Promise.allSettled([...running.map((server) => server.stop()), ...(postgres ? [postgres.stop()] : [])]);
    const errors = stops.flatMap((stop) => (stop.status === 'rejected' ? [stop.reason as unknown] : []));
    if (errors.length > 0) throw new AggregateError(errors, 'stopping the test servers failed');
  };

  if (failures.length > 0) {
    await teardown().catch(() => {});
    const message = failures.map((error) => (error instanceof Error ? error.message : String(error))).join('\n\n');
    throw new Error(`test servers did not start (KILN_TEST_S3=${process.env.KILN_TEST_S3 ?? 'all'}, KILN_TEST_PG=${process.env.KILN_TEST_PG ?? 'on'}):\n${message}`, {
      cause: failures[0],
    });
  }

  project.provide(
    's3Targets',
    running.map((server) => server.target),
  );
  project.provide('postgresUrl', postgres?.connectionString);
  return teardown;
}
