// The release this node reports in its status; kept equal to package.json's version.
export const NODE_VERSION = '0.1.0';

/**
 * The etcd release whose client-visible behaviour the etcd API matches, reported as the version
 * in etcd's Status, since etcd clients switch features on by it: kube-apiserver sends watch
 * progress requests only to etcd 3.4.31 or later (or 3.5.13+), whose progress responses never
 * run ahead of the events on their stream. The API is etcd 3.4's, with 3.5's AuthStatus; 3.5's
 * Downgrade is not served, so claiming 3.5 would not be true.
 */
export const ETCD_COMPATIBLE_VERSION = '3.4.31';
