#!/usr/bin/env bash
# Installs Debian packages the tests need, as root or through `sudo -n`, and otherwise says
# what to install by hand. One place for the set-up scripts (npm test's, the Kubernetes test
# bed's and its services') to share.
#   install-debian-packages.sh <who is asking> <package>...
set -euo pipefail
who="$1"
shift

if ! command -v apt-get >/dev/null 2>&1; then
  echo "$who: missing $*, and there is no apt-get here; install them, then run again" >&2
  exit 1
fi
run_as_root=()
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "$who: missing $*; install them as root with: apt-get install $*" >&2
    exit 1
  fi
  run_as_root=(sudo -n)
fi
echo "$who: installing $* from Debian" >&2
export DEBIAN_FRONTEND=noninteractive
"${run_as_root[@]}" apt-get update -qq
"${run_as_root[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
