#!/usr/bin/env bash
# Installs and builds what the Kubernetes test bed needs, so that `npm test` and
# `npm run k8s:up` work on a fresh Debian machine. Quiet and quick when all is there.
# - from Debian: etcd-server (3.4, the API server's store), iproute2 (ip netns, veth, bridge),
#   util-linux (unshare and nsenter: each pod's hostname, exec probes), curl (run in the
#   node agent's test pods);
# - built from Go modules into ~/.cache/beaver-vault: the Kubernetes control plane and kubectl
#   (build-control-plane.sh), Helm and MinIO (ensure-services.sh), each once per machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

missing=()
command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
command -v ip >/dev/null 2>&1 || missing+=(iproute2)
command -v unshare >/dev/null 2>&1 || missing+=(util-linux)
command -v curl >/dev/null 2>&1 || missing+=(curl)
if [ "${#missing[@]}" -gt 0 ]; then bash "$here/../setup/install-debian-packages.sh" "k8s test bed" "${missing[@]}"; fi

if ! "$here/build-control-plane.sh" >/dev/null; then
  echo "k8s test bed: building the Kubernetes control plane failed (see above)" >&2
  exit 1
fi
"$here/ensure-services.sh"
