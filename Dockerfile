# One image for the server (and, later, the operator): built in one stage, run from a slim,
# non-root stage that holds only the compiled code and the production dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# `build` generates the protobuf code first, then compiles and bundles the bvault command
# (scripts/bundle-cli.mjs); pruning keeps runtime packages only.
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
# Defaults as environment, so that BVAULT_* variables and flags given at run time override them.
ENV NODE_ENV=production \
    BVAULT_DATA_DIR=/var/lib/bvault \
    BVAULT_HTTP_HOST=0.0.0.0 \
    BVAULT_RAFT_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
RUN mkdir -p /var/lib/bvault && chown node:node /var/lib/bvault
USER node
VOLUME /var/lib/bvault
# REST, gRPC (native and etcd v3), peers.
EXPOSE 8000 9090 7000
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["server"]
