// Debian packages the test servers need, by group. `npm test` installs the missing ones as root.
export const systemPackages = {
  // Single-node Ceph: one monitor, one memstore OSD and radosgw (the strict S3 reference server).
  s3: ['ceph-mon', 'ceph-osd', 'radosgw', 'ceph-common'],
};
