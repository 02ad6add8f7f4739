#!/usr/bin/env bash
# Usage: build-go-tool.sh [--in-module <module>] <module/path/cmd@version> <binary-name> [extra -ldflags]
#
# Builds one Go command with `go install` into a cache outside the repository,
# $BVAULT_CACHE/tools/<binary>/<version>/ (BVAULT_CACHE defaults to ~/.cache/beaver-vault), so
# every clone on the machine, CI's fresh one included, builds it once. Prints the binary's path.
#
# The build goes into a partial directory that is renamed into place, under a lock, so a build
# that was interrupted or runs twice at once never leaves a half-written binary for a test. The
# extra ldflags are stored beside the binary: a change of them (such as a new Kubernetes version
# for Helm's defaults) rebuilds it.
#
# `go install cmd@version` refuses a module whose go.mod has replace directives (cert-manager's
# does). For such a module, --in-module names it: the command is then built inside the module as
# downloaded, as its own main module, so its replace directives and go.sum apply as upstream builds.
set -euo pipefail

in_module=""
if [ "${1:-}" = "--in-module" ]; then
  in_module="${2:-}"
  shift 2 || true
fi
if [ "$#" -lt 2 ] || [ "$#" -gt 3 ] || [[ "$1" != *@* ]]; then
  echo "usage: build-go-tool.sh [--in-module <module>] <module/path/cmd@version> <binary-name> [extra ldflags]" >&2
  exit 2
fi
package="$1"
binary="$2"
ldflags="-s -w${3:+ $3}"
version="${package##*@}"
directory="${BVAULT_CACHE:-$HOME/.cache/beaver-vault}/tools/$binary/$version"

built() {
  [ -x "$directory/$binary" ] && [ "$(cat "$directory/ldflags" 2>/dev/null)" = "$ldflags" ]
}
if built; then echo "$directory/$binary"; exit 0; fi

mkdir -p "$(dirname "$directory")"
exec 9>"$directory.lock"
flock 9
if built; then echo "$directory/$binary"; exit 0; fi

command -v go >/dev/null || { echo "build-go-tool: Go is needed to build $binary $version; install Go 1.24 or later" >&2; exit 1; }

partial="$directory.partial"
rm -rf "$partial"
mkdir -p "$partial"
echo "build-go-tool: building $binary $version from $package (once per machine)" >&2
started=$SECONDS
# nice: the machine is shared with the tests that wait for this build.
if [ -z "$in_module" ]; then
  CGO_ENABLED=0 GOBIN="$partial" nice -n 10 go install -trimpath -ldflags "$ldflags" "$package"
else
  command_path="${package%@*}"
  module_directory="$(go mod download -json "$in_module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -d "$module_directory" ] || { echo "build-go-tool: go mod download $in_module@$version gave no directory" >&2; exit 1; }
  (cd "$module_directory" && CGO_ENABLED=0 nice -n 10 go build -trimpath -ldflags "$ldflags" -o "$partial/$binary" "./${command_path#"$in_module"/}")
fi
[ -x "$partial/$binary" ] || { echo "build-go-tool: go install $package made no $binary" >&2; exit 1; }
printf '%s\n' "$ldflags" > "$partial/ldflags"
rm -rf "$directory"
mv "$partial" "$directory"
echo "build-go-tool: built $binary $version in $((SECONDS - started)) s" >&2
echo "$directory/$binary"
