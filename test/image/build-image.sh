#!/usr/bin/env bash
# Builds the Dockerfile of this repository, as written, with buildah (no Docker engine or
# registry needed) into an image store of its own, and prints two lines: the image's name and
# the storage.conf that buildah must be given to see it, e.g.
#   CONTAINERS_STORAGE_CONF=$(bash test/image/build-image.sh | sed -n 2p) buildah images
#
# The store is $BVAULT_CACHE/containers (BVAULT_CACHE defaults to ~/.cache/beaver-vault), apart
# from the machine's own /var/lib/containers, whose images this never touches: every clone on
# the machine shares it, so the base image below is made once per machine and the build's
# layers are reused by the next clone.
#
# There is no registry here, so node:20-bookworm-slim, the Dockerfile's FROM, is made the way
# Node's own image is: a minimal Debian bookworm (debootstrap, variant minbase) with this
# machine's Node.js 20 and npm in /usr/local and a `node` user (uid 1000), committed under the
# name the Dockerfile names, so `buildah bud --pull=never` builds the Dockerfile unchanged. It
# carries the label io.beaver-vault.base, so it is never taken for the one from Docker Hub. It
# also trusts this machine's CA bundle (NODE_EXTRA_CA_CERTS), as the machine's own Node does:
# where HTTPS goes through an intercepting proxy, npm in the build reaches the registry only so.
#
# Needs root (debootstrap, chroot, mounts); installs buildah and debootstrap from Debian when
# they are missing. Every step is bounded in time and nothing is left mounted.
set -euo pipefail
repository="$(cd "$(dirname "$0")/../.." && pwd)"
readonly BASE_IMAGE=docker.io/library/node:20-bookworm-slim
readonly BASE_MARK=io.beaver-vault.base
readonly DEBOOTSTRAP_TIMEOUT_S=900
readonly BUILD_TIMEOUT_S=1500
readonly STEP_TIMEOUT_S=300

if [ "$(id -u)" -ne 0 ]; then
  echo "build-image: debootstrap, chroot and buildah's chroot isolation need root; run as root" >&2
  exit 1
fi
missing=()
command -v buildah >/dev/null 2>&1 || missing+=(buildah)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if [ "${#missing[@]}" -gt 0 ]; then bash "$repository/test/setup/install-debian-packages.sh" build-image "${missing[@]}"; fi

store="${BVAULT_CACHE:-$HOME/.cache/beaver-vault}/containers"
mkdir -p "$store"
# The run root holds mount state, so it lives on /run, a tmpfs: after a reboot nothing in it
# claims a layer is still mounted.
cat >"$store/storage.conf.partial" <<CONF
[storage]
driver = "overlay"
graphroot = "$store/storage"
runroot = "/run/beaver-vault/containers"
CONF
mv "$store/storage.conf.partial" "$store/storage.conf"
export CONTAINERS_STORAGE_CONF="$store/storage.conf"

step() { timeout --kill-after=10 "$STEP_TIMEOUT_S" "$@"; }

# Builds from clones that run at once take turns: one makes the base image, the others find it.
exec 9>"$store/build.lock"
lock_wait_s=$((DEBOOTSTRAP_TIMEOUT_S + 2 * BUILD_TIMEOUT_S))
flock --wait "$lock_wait_s" 9 || { echo "build-image: another build has held $store/build.lock for over $lock_wait_s s; is one stuck?" >&2; exit 1; }

base_made() {
  [ "$(step buildah inspect --type image --format "{{index .OCIv1.Config.Labels \"$BASE_MARK\"}}" "$BASE_IMAGE" 2>/dev/null)" = debootstrap ]
}

remove_base_work() {
  if [ -n "$container" ]; then
    step buildah umount "$container" >/dev/null 2>&1 || true
    step buildah rm "$container" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}

# Runs in a subshell of its own, whose exit unmounts and removes what it made.
make_base_image() {
  local node_binary npm_directory mountpoint root started ca_bundle
  work="$(mktemp -d)"
  container=""
  trap remove_base_work EXIT
  node_binary="$(command -v node)"
  case "$("$node_binary" --version)" in
    v20.*) ;;
    *) echo "build-image: the base image needs Node.js 20; this machine has $("$node_binary" --version)" >&2; return 1 ;;
  esac
  npm_directory="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"

  echo "build-image: making $BASE_IMAGE from Debian bookworm and Node.js $("$node_binary" --version) (once per machine)" >&2
  started=$SECONDS
  root="$work/rootfs"
  timeout --kill-after=10 "$DEBOOTSTRAP_TIMEOUT_S" debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 || {
    echo "build-image: debootstrap failed (or took over $DEBOOTSTRAP_TIMEOUT_S s):" >&2
    tail -20 "$work/debootstrap.log" >&2
    return 1
  }
  # What the slim image leaves out: package lists and caches, documentation.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/usr/share/doc/* "$root"/usr/share/man/*
  install -m 0755 "$node_binary" "$root/usr/local/bin/node"
  mkdir -p "$root/usr/local/lib/node_modules"
  cp -a "$npm_directory" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  ca_bundle="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
  local extra_ca=()
  if [ -f "$ca_bundle" ]; then
    mkdir -p "$root/etc/ssl/certs"
    install -m 0644 "$ca_bundle" "$root/etc/ssl/certs/machine-ca-bundle.crt"
    extra_ca=(--env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/machine-ca-bundle.crt)
  fi
  step chroot "$root" groupadd --gid 1000 node
  step chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

  container="$(step buildah from scratch)"
  mountpoint="$(step buildah mount "$container")"
  step cp -a "$root/." "$mountpoint/"
  step buildah config \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$("$node_binary" --version | sed 's/^v//')" \
    "${extra_ca[@]}" \
    --cmd node \
    --label "$BASE_MARK=debootstrap" \
    "$container"
  step buildah commit --quiet "$container" "$BASE_IMAGE" >/dev/null
  echo "build-image: made $BASE_IMAGE in $((SECONDS - started)) s" >&2
}

if ! base_made; then (make_base_image); fi

version="$(node -p 'require(process.argv[1]).version' "$repository/package.json")"
image="localhost/beaver-vault:$version"
build_args=(--build-arg "REVISION=$(git -C "$repository" rev-parse HEAD 2>/dev/null || echo unknown)")
if source_url="$(git -C "$repository" remote get-url origin 2>/dev/null)"; then build_args+=(--build-arg "SOURCE=$source_url"); fi
echo "build-image: building $image" >&2
started=$SECONDS
# --layers: a build whose package-lock.json is unchanged reuses the layer of `npm ci`. That layer
# is in the build stage, which no tag would keep from the prune below, so the build stage is
# built and tagged first; the full build then finds its layers.
# --force-rm: a failed build leaves no container behind.
build() { timeout --kill-after=30 "$BUILD_TIMEOUT_S" buildah bud --isolation chroot --pull=never --layers --force-rm --quiet "${build_args[@]}" "$@" "$repository" >/dev/null; }
build --target build -t "localhost/beaver-vault-build:$version"
build -t "$image"
# The layers of the builds before, no longer tagged, would otherwise pile up (some 600 MB each).
# One a container still uses (a test run that was killed) stays, until a later build.
if ! step buildah rmi --prune >/dev/null 2>"$store/prune.log"; then
  echo "build-image: kept some earlier layers: $(tr '\n' ' ' <"$store/prune.log")" >&2
fi
echo "build-image: built $image in $((SECONDS - started)) s" >&2
printf '%s\n%s\n' "$image" "$CONTAINERS_STORAGE_CONF"
