# syntax=docker/dockerfile:1
# One image for the server (`bvault server`), the client commands and the operator (`bvault
# operator`): built in one stage, run from a second that holds only the compiled code and the
# production dependencies, as user 65532 (the uid the operator's pods and the member pods run
# as), with nothing written outside the data volume, so it runs with a read-only root
# filesystem. Build it with Docker or buildah (docs/image.md):
#   docker build -t beaver-vault:0.1.0 --build-arg REVISION=$(git rev-parse HEAD) \
#     --build-arg SOURCE=$(git remote get-url origin) .
#   bash test/image/build-image.sh      (buildah, with no Docker engine and no registry)
ARG NODE_IMAGE=docker.io/library/node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm's download cache outlives the build, so a change of the source reinstalls nothing.
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
# `build` generates the protobuf code, compiles, and bundles the bvault command
# (scripts/bundle-cli.mjs); pruning then keeps the runtime packages only.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
# The version is package.json's; test/image/image.test.ts fails when they differ.
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="Beaver-Vault" \
      org.opencontainers.image.description="A strongly consistent, Raft-replicated key-value store with an etcd-compatible API, and its Kubernetes operator" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="Apache-2.0"
# Defaults as environment, so that BVAULT_* variables and flags given at run time override them.
ENV NODE_ENV=production \
    BVAULT_DATA_DIR=/var/lib/bvault \
    BVAULT_HTTP_HOST=0.0.0.0 \
    BVAULT_RAFT_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/console ./dist/console
RUN mkdir -p /var/lib/bvault && chown 65532:65532 /var/lib/bvault
USER 65532:65532
VOLUME /var/lib/bvault
# REST, gRPC (native and etcd v3), peers; the operator's metrics.
EXPOSE 8000 9090 7000 8080
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["server"]
