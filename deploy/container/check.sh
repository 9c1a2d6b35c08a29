#!/usr/bin/env bash
# Runs the image built by build.sh and checks that it really serves: starts it on SQLite,
# creates a tenant with the CLI inside the image, reads the tenant's discovery document
# through the published port, stops it with SIGTERM (exit status 0), and checks the image
# is under 60 MB.
#
#   deploy/container/check.sh [IMAGE]     # default tessera:latest
#
# OCI_RUNTIME picks the runtime (default runc). On machines without CAP_SYS_RESOURCE
# podman's default rlimits cannot be set, so the current ones are passed explicitly; with
# cgroups v1 in hybrid mode crun refuses to start, runc works.
set -euo pipefail
image="${1:-tessera:latest}"
port="${PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}"
limit_mb=60

size=$(podman image inspect --format '{{.Size}}' "$image")
echo "image $image: $((size / 1024 / 1024)) MB"
if [ "$size" -ge $((limit_mb * 1024 * 1024)) ]; then
  echo "the image is larger than $limit_mb MB" >&2
  exit 1
fi

data=$(mktemp -d)
chown 10001:10001 "$data"
key=$(head -c 32 /dev/urandom | base64)
name="tessera-check-$$"
run=(podman --runtime "${OCI_RUNTIME:-runc}" run
  --network host
  --ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)"
  --ulimit "nproc=${NPROC:-4096}:${NPROC:-4096}"
  -v "$data:/var/lib/tessera"
  -e "TESSERA_KEYS__MASTER_KEY=$key"
  -e "TESSERA_SERVER__LISTEN=127.0.0.1:$port"
  -e "TESSERA_SERVER__PUBLIC_URL=http://127.0.0.1:$port")
cleanup() {
  podman --runtime "${OCI_RUNTIME:-runc}" rm -f "$name" >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT

# Where no container can start here (no runtime that works on this kernel), say why and
# check the image's root filesystem with its own binary instead, under chroot.
if ! probe=$("${run[@]}" --rm "$image" --version 2>&1); then
  echo "no container can run on this machine ($probe):" >&2
  echo "checking the image's root filesystem under chroot instead" >&2
  mnt=$(podman image mount "$image")
  trap 'podman image unmount "$image" >/dev/null 2>&1 || true; rm -rf "$data"' EXIT
  export TESSERA_KEYS__MASTER_KEY="$key" TESSERA_SERVER__LISTEN="127.0.0.1:$port" \
    TESSERA_SERVER__PUBLIC_URL="http://127.0.0.1:$port" TESSERA_SERVER__DATA_DIR=/var/lib/tessera \
    TESSERA_DATABASE__URL=sqlite:///var/lib/tessera/tessera.db
  mount --bind "$data" "$mnt/var/lib/tessera"
  chroot --userspec=10001:10001 "$mnt" /usr/local/bin/tessera serve >/dev/null 2>&1 &
  server=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  chroot --userspec=10001:10001 "$mnt" /usr/local/bin/tessera tenant create acme >/dev/null
  issuer=$(curl -fsS "http://127.0.0.1:$port/t/acme/.well-known/openid-configuration" | jq -r .issuer)
  kill -TERM "$server"
  wait "$server"
  umount "$mnt/var/lib/tessera"
  [ "$issuer" = "http://127.0.0.1:$port/t/acme" ] || { echo "unexpected issuer $issuer" >&2; exit 1; }
  echo "discovery answers from the image's root filesystem: issuer $issuer"
  exit 0
fi

"${run[@]}" -d --name "$name" "$image" >/dev/null
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/readyz"
echo
"${run[@]}" --rm "$image" tenant create acme >/dev/null
issuer=$(curl -fsS "http://127.0.0.1:$port/t/acme/.well-known/openid-configuration" | jq -r .issuer)
if [ "$issuer" != "http://127.0.0.1:$port/t/acme" ]; then
  echo "unexpected discovery issuer: $issuer" >&2
  podman logs "$name" >&2 || true
  exit 1
fi
echo "discovery answers from the container: issuer $issuer"
podman --runtime "${OCI_RUNTIME:-runc}" stop --time 20 "$name" >/dev/null
status=$(podman inspect --format '{{.State.ExitCode}}' "$name")
if [ "$status" != "0" ]; then
  echo "the server exited with $status on SIGTERM" >&2
  exit 1
fi
echo "stopped cleanly on SIGTERM"
