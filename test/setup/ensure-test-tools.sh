#!/usr/bin/env bash
# `npm test` runs this first, so a fresh Debian machine needs nothing installed by hand:
# - etcdctl (Debian's etcd-client, 3.4): the etcd-compatibility tests drive the real one;
# - faketime (libfaketime): the fault-injection suite steps members' wall clocks with it;
# - the Kubernetes test bed's tools (test/k8s/ensure-bed-tools.sh): etcd, the control plane
#   built from Go modules, Helm, MinIO and Prometheus; cached, so only a machine's first run builds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

ensure_bed_tools() {
  bash "$here/../k8s/ensure-bed-tools.sh"
}

missing=()
command -v etcdctl >/dev/null 2>&1 || missing+=(etcd-client)
command -v faketime >/dev/null 2>&1 || missing+=(faketime)
if [ "${#missing[@]}" -eq 0 ]; then ensure_bed_tools; exit 0; fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "npm test: missing ${missing[*]} and there is no apt-get here; install etcdctl 3.4 or later and libfaketime, then run again" >&2
  exit 1
fi

run_as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "npm test: missing ${missing[*]}; install as root with: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  run_as_root=(sudo -n)
fi

echo "npm test: installing ${missing[*]} from Debian for the etcd-compatibility and fault-injection tests" >&2
export DEBIAN_FRONTEND=noninteractive
"${run_as_root[@]}" apt-get update -qq
"${run_as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
etcdctl version >/dev/null
command -v faketime >/dev/null
ensure_bed_tools
