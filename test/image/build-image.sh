#!/usr/bin/env bash
# Makes, once per machine, the image the Dockerfile builds FROM, in buildah's local storage:
# there is no registry here, so node:20-bookworm-slim is made the way Node's own image is, from
# a minimal Debian bookworm (debootstrap, variant minbase) with this machine's Node.js 20 and
# npm in /usr/local and a `node` user (uid 1000), and committed under the name the Dockerfile
# names, so `buildah bud --pull=never` builds the Dockerfile exactly as written. It also trusts
# this machine's CA bundle (NODE_EXTRA_CA_CERTS), as the machine's own Node does: where HTTPS
# goes through an intercepting proxy, npm in the build reaches the registry only so. Installs
# buildah and debootstrap from Debian when they are missing. Quiet and quick once the image is
# there. The image carries the label io.beaver-vault.base so that it is never mistaken for the
# one from Docker Hub.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
readonly IMAGE=docker.io/library/node:20-bookworm-slim
readonly MARK=io.beaver-vault.base

missing=()
command -v buildah >/dev/null 2>&1 || missing+=(buildah)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then bash "$here/../setup/install-debian-packages.sh" "image" "${missing[@]}"; fi

made() {
  [ "$(buildah inspect --type image --format "{{index .ImageAnnotations \"$MARK\"}}{{index .OCIv1.Config.Labels \"$MARK\"}}" "$IMAGE" 2>/dev/null)" = debootstrap ]
}
if made; then exit 0; fi

# Test files may ask at once: one makes it, the others wait and find it made.
lock="${BVAULT_CACHE:-$HOME/.cache/beaver-vault}/image/base.lock"
mkdir -p "$(dirname "$lock")"
exec 9>"$lock"
flock 9
if made; then exit 0; fi

node_binary="$(command -v node)"
case "$("$node_binary" --version)" in
  v20.*) ;;
  *) echo "image: the base image needs Node.js 20; this machine has $("$node_binary" --version)" >&2; exit 1 ;;
esac
npm_directory="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"

work="$(mktemp -d)"
container=""
cleanup() {
  if [ -n "$container" ]; then buildah umount "$container" >/dev/null 2>&1 || true; buildah rm "$container" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

echo "image: making $IMAGE from Debian bookworm and Node.js $("$node_binary" --version) (once per machine)" >&2
started=$SECONDS
root="$work/rootfs"
timeout 900 debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 || {
  echo "image: debootstrap failed:" >&2
  tail -20 "$work/debootstrap.log" >&2
  exit 1
}
# What the slim image leaves out: package lists and caches, documentation.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/usr/share/doc/* "$root"/usr/share/man/*
install -m 0755 "$node_binary" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$npm_directory" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
ca_bundle="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
extra_ca=()
if [ -f "$ca_bundle" ]; then
  mkdir -p "$root/etc/ssl/certs"
  install -m 0644 "$ca_bundle" "$root/etc/ssl/certs/machine-ca-bundle.crt"
  extra_ca=(--env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/machine-ca-bundle.crt)
fi
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

container="$(buildah from scratch)"
mountpoint="$(buildah mount "$container")"
cp -a "$root/." "$mountpoint/"
buildah config \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_VERSION="$("$node_binary" --version | sed 's/^v//')" \
  "${extra_ca[@]}" \
  --cmd node \
  --label "$MARK=debootstrap" \
  "$container"
buildah commit --quiet "$container" "$IMAGE" >/dev/null
echo "image: made $IMAGE in $((SECONDS - started)) s" >&2
