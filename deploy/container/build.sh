#!/usr/bin/env bash
# Builds the Tessera container image (tessera:latest) from this checkout with buildah, from
# scratch: the release binary, the shared libraries it links (from this Debian system, so
# build on Debian bookworm), CA certificates and a non-root user. No registry is needed,
# which is why this exists beside the Dockerfile (that one starts from Docker Hub images).
#
#   deploy/container/build.sh [IMAGE]     # default tessera:latest
set -euo pipefail
cd "$(dirname "$0")/../.."
image="${1:-tessera:latest}"
target="${CARGO_TARGET_DIR:-target}"

cargo build --release --locked --bin tessera
binary="$target/release/tessera"

rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
install -D -m 0755 "$binary" "$rootfs/usr/local/bin/tessera"
strip --strip-unneeded "$rootfs/usr/local/bin/tessera"
# The dynamic loader and every library the binary links (libpq, OpenSSL, Kerberos…).
for lib in $(ldd "$binary" | grep -o '/[^ ]*'); do
  install -D -m 0644 "$(readlink -f "$lib")" "$rootfs$lib"
done
chmod 0755 "$rootfs"/lib64/ld-linux-*.so.* 2>/dev/null || true
# CA certificates for outbound https (jwks_uri, webhooks, SMTP with TLS).
install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
# Name resolution and the unprivileged user the server runs as.
install -d "$rootfs/etc" "$rootfs/tmp" "$rootfs/var/lib/tessera"
chmod 1777 "$rootfs/tmp"
printf 'root:x:0:0:root:/root:/sbin/nologin\ntessera:x:10001:10001:Tessera:/var/lib/tessera:/sbin/nologin\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\ntessera:x:10001:\n' > "$rootfs/etc/group"
printf 'hosts: files dns\n' > "$rootfs/etc/nsswitch.conf"
for lib in /lib/x86_64-linux-gnu/libnss_dns.so.2 /lib/x86_64-linux-gnu/libnss_files.so.2 /lib/x86_64-linux-gnu/libresolv.so.2; do
  [ -e "$lib" ] && install -D -m 0644 "$(readlink -f "$lib")" "$rootfs$lib"
done
chown -R 10001:10001 "$rootfs/var/lib/tessera"
chmod 0700 "$rootfs/var/lib/tessera"

container=$(buildah from scratch)
buildah copy --quiet "$container" "$rootfs" / >/dev/null
buildah config \
  --user 10001:10001 \
  --workingdir /var/lib/tessera \
  --env TESSERA_SERVER__LISTEN=0.0.0.0:8080 \
  --env TESSERA_SERVER__DATA_DIR=/var/lib/tessera \
  --env TESSERA_DATABASE__URL=sqlite:///var/lib/tessera/tessera.db \
  --env TESSERA_LOG__FORMAT=json \
  --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
  --port 8080 \
  --volume /var/lib/tessera \
  --stop-signal SIGTERM \
  --entrypoint '["/usr/local/bin/tessera"]' \
  --cmd serve \
  --label org.opencontainers.image.title=tessera \
  "$container"
buildah commit --quiet --rm "$container" "$image" >/dev/null
size=$(podman image inspect --format '{{.Size}}' "$image" 2>/dev/null || buildah inspect --type image --format '{{.Size}}' "$image" 2>/dev/null || echo 0)
echo "built $image ($((size / 1024 / 1024)) MB)"
