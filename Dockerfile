# syntax=docker/dockerfile:1
# Multi-stage build: compile in the Rust image, run on slim Debian as a non-root user.

FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config libpq-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock diesel.toml ./
# Build settings for the bundled SQLite (see .cargo/config.toml).
COPY .cargo .cargo
COPY src src
COPY bench bench
COPY examples examples
COPY locales locales
COPY migrations migrations
COPY config config
COPY templates templates
COPY static static
RUN cargo build --release --locked --bin tessera

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 libssl3 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /var/lib/tessera tessera \
 && install -d -o tessera -g tessera -m 0700 /var/lib/tessera
COPY --from=build /src/target/release/tessera /usr/local/bin/tessera
COPY config /etc/tessera
COPY templates /usr/share/tessera/templates
COPY static /usr/share/tessera/static

# The built-in defaults are compiled in; these adapt them to a container. Mount
# /var/lib/tessera for the SQLite default, or set TESSERA_DATABASE__URL=postgres://…
# Supply the master key with TESSERA_KEYS__MASTER_KEY or a mounted keys.master_key_file.
ENV TESSERA_SERVER__LISTEN=0.0.0.0:8080 \
    TESSERA_SERVER__DATA_DIR=/var/lib/tessera \
    TESSERA_DATABASE__URL=sqlite:///var/lib/tessera/tessera.db \
    TESSERA_LOG__FORMAT=json
USER tessera
WORKDIR /var/lib/tessera
VOLUME ["/var/lib/tessera"]
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT ["tessera"]
CMD ["serve"]
