#!/usr/bin/env bash
# `npm test` runs this first, so a fresh Debian machine needs nothing installed by hand:
# - etcdctl (Debian's etcd-client, 3.4): the etcd-compatibility tests drive the real one;
# - faketime (libfaketime): the fault-injection suite steps members' wall clocks with it;
# - chromium: the web console's tests (test/console) drive it headless through playwright-core;
# - the Kubernetes test bed's tools (test/k8s/ensure-bed-tools.sh): etcd, the control plane
#   built from Go modules, Helm, MinIO and Prometheus; cached, so only a machine's first run builds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

missing=()
command -v etcdctl >/dev/null 2>&1 || missing+=(etcd-client)
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  bash "$here/install-debian-packages.sh" "npm test" "${missing[@]}"
  etcdctl version >/dev/null
  command -v faketime >/dev/null
  /usr/bin/chromium --version >/dev/null
fi
bash "$here/../k8s/ensure-bed-tools.sh"
