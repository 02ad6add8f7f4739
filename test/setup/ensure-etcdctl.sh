#!/usr/bin/env bash
# The etcd-compatibility tests drive the real etcdctl (Debian's etcd-client, 3.4). `npm test`
# runs this first, so a fresh Debian machine needs nothing installed by hand.
set -euo pipefail

command -v etcdctl >/dev/null 2>&1 && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "npm test: etcdctl is missing and there is no apt-get here; install etcd's etcdctl 3.4 or later and run again" >&2
  exit 1
fi

run_as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "npm test: etcdctl is missing; install it as root with: apt-get install etcd-client" >&2
    exit 1
  fi
  run_as_root=(sudo -n)
fi

echo "npm test: installing etcdctl (Debian's etcd-client) for the etcd-compatibility tests" >&2
export DEBIAN_FRONTEND=noninteractive
"${run_as_root[@]}" apt-get update -qq
"${run_as_root[@]}" apt-get install -y -qq --no-install-recommends etcd-client >/dev/null
etcdctl version >/dev/null
