#!/usr/bin/env bash
# Installs and builds what the test bed's on-demand services need (test/k8s/services/):
# - from Debian: prometheus, which brings promtool;
# - built from Go modules into the cache by build-go-tool.sh: Helm, its default Kubernetes
#   version set to the bed's, MinIO (the S3 server for backups) and cert-manager's controller, at
#   the versions in versions.env.
# Prints nothing but errors when all is there, so the bed's ensure script can call it every run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

prometheus_installed() {
  command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1
}

install_prometheus() {
  bash "$here/../setup/install-debian-packages.sh" "k8s services" prometheus
  # On a machine with systemd the package starts its own server on every address at :9090; the
  # tests start theirs on loopback when they need one, so the package's is stopped and disabled.
  if [ -d /run/systemd/system ]; then systemctl disable --now prometheus.service >/dev/null 2>&1 || sudo -n systemctl disable --now prometheus.service >/dev/null 2>&1 || true; fi
  prometheus_installed
}

if ! prometheus_installed; then
  # Test files run this at once: one installs, the others wait for it.
  lock="${BVAULT_CACHE:-$HOME/.cache/beaver-vault}/tools/prometheus.lock"
  mkdir -p "$(dirname "$lock")"
  exec 9>"$lock"
  flock 9
  if ! prometheus_installed; then install_prometheus; fi
fi

# Helm's own build sets these from the client-go it was built with (1.37 for 3.22); the bed runs
# the Kubernetes in kubernetes-version, so `helm template` and `helm lint` default to that one.
kubernetes_version="$(cat "$here/kubernetes-version")"
kubernetes_minor="${kubernetes_version#v1.}"; kubernetes_minor="${kubernetes_minor%%.*}"
helm_ldflags="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
helm_ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for package in pkg/chartutil pkg/lint/rules; do
  helm_ldflags+=" -X helm.sh/helm/v3/$package.k8sVersionMajor=1 -X helm.sh/helm/v3/$package.k8sVersionMinor=$kubernetes_minor"
done

"$here/build-go-tool.sh" "$HELM_MODULE@$HELM_VERSION" helm "$helm_ldflags" >/dev/null
"$here/build-go-tool.sh" "$MINIO_MODULE@$MINIO_VERSION" minio >/dev/null
"$here/build-go-tool.sh" --in-module "$CERT_MANAGER_MODULE" "$CERT_MANAGER_MODULE/cmd/controller@$CERT_MANAGER_VERSION" cert-manager-controller >/dev/null
