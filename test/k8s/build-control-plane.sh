#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler and kubectl at one pinned
# Kubernetes release from the k8s.io/kubernetes Go module, into a cache outside the repository
# keyed by version, so only the first run on a machine pays for the build.
#
# k8s.io/kubernetes is not meant to be required as a module: its go.mod points every staging
# module (k8s.io/api, apimachinery, client-go, ...) at ./staging/... with v0.0.0 requirements.
# A small wrapper module requires the release and replaces each staging module with its
# published v0.X.Y version; the list of replaces is read from the release's own go.mod.
set -euo pipefail

version="$(cat "$(dirname "$0")/kubernetes-version")"
cache="${BVAULT_CACHE:-$HOME/.cache/beaver-vault}/kubernetes/$version"
components=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

built() {
  for c in "${components[@]}"; do [ -x "$cache/bin/$c" ] || return 1; done
}
if built; then echo "$cache/bin"; exit 0; fi

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if built; then echo "$cache/bin"; exit 0; fi

command -v go >/dev/null || { echo "build-control-plane: Go is needed to build Kubernetes $version" >&2; exit 1; }

work="$cache/build"
rm -rf "$work" "$cache/bin.partial"
mkdir -p "$work"
cd "$work"

started=$SECONDS
gomod="$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
[ -f "$gomod" ] || { echo "build-control-plane: no go.mod for k8s.io/kubernetes@$version" >&2; exit 1; }

# "k8s.io/api => ./staging/src/k8s.io/api" becomes "k8s.io/api => k8s.io/api v0.34.4".
staging_version="v0${version#v1}"
replaces="$(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\) => \./staging/.*#\1#p' "$gomod" | sort -u)"
[ -n "$replaces" ] || { echo "build-control-plane: no staging replaces in $gomod" >&2; exit 1; }

{
  echo "module beaver-vault.local/kubernetes-build"
  echo
  echo "go $(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod")"
  echo
  echo "require k8s.io/kubernetes $version"
  echo
  for module in $replaces; do echo "replace $module => $module $staging_version"; done
} > go.mod

{
  echo "//go:build tools"
  echo
  echo "// Package tools names the commands this module builds, so that go mod tidy keeps their dependencies."
  echo "package tools"
  echo
  echo "import ("
  for c in "${components[@]}"; do echo "	_ \"k8s.io/kubernetes/cmd/$c\""; done
  echo ")"
} > tools.go

go mod tidy

minor="${version#v1.}"; minor="${minor%%.*}"
ldflags="-s -w"
ldflags+=" -X k8s.io/component-base/version.gitVersion=$version"
ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
ldflags+=" -X k8s.io/component-base/version.gitMinor=$minor"
ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
ldflags+=" -X k8s.io/component-base/version.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
# client-go reports its own copy of the version (kubectl version --client shows both).
ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$version"
ldflags+=" -X k8s.io/client-go/pkg/version.gitMajor=1"
ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=$minor"

mkdir -p "$cache/bin.partial"
for c in "${components[@]}"; do
  CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$cache/bin.partial/$c" "k8s.io/kubernetes/cmd/$c"
done
rm -rf "$cache/bin"
mv "$cache/bin.partial" "$cache/bin"
rm -rf "$work"
echo "build-control-plane: built Kubernetes $version in $((SECONDS - started)) s" >&2
echo "$cache/bin"
