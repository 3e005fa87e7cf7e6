// Debian packages the test servers need, by group. `npm test` installs the missing ones as root.
export const systemPackages = {
  // Single-node Ceph: one monitor, one memstore OSD and radosgw (the strict S3 reference server),
  // started by test/servers/rgw.ts. ceph-common ships ceph, ceph-authtool and radosgw-admin;
  // ceph-base (a dependency of ceph-mon and ceph-osd, listed for monmaptool) ships monmaptool.
  s3: ['ceph-mon', 'ceph-osd', 'radosgw', 'ceph-common', 'ceph-base'],
  // The Unity package (packages/unity) is built and tested without Unity: Mono's C# compiler (mcs),
  // its 4.7.1 reference assemblies (mono-devel), NUnit 2.6 (libnunit-cil-dev) and its console runner,
  // used by test/unity.test.ts and packages/unity/Tools~/run-tests.mjs.
  unity: ['mono-mcs', 'mono-devel', 'libnunit-cil-dev', 'nunit-console'],
  // Headless Chromium for @kiln/three's browser tests and `pnpm bench:three` (driven by
  // playwright-core at /usr/bin/chromium; WebGL runs on its bundled SwiftShader, no GPU). Its
  // dependencies bring the libraries and, through fontconfig, a font; the pages draw no text.
  browser: ['chromium'],
  // A private PostgreSQL (initdb + pg_ctl on 127.0.0.1, a random port, a temporary directory; no
  // system service is used) for @kiln/core's Postgres JobStore, started by test/servers/postgres.ts.
  // The `postgresql` metapackage pulls in the current major version (postgresql-15 on Debian 12).
  postgres: ['postgresql'],
};
