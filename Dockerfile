# The pipewright registry as a container image (docs/registry.md):
#
#   docker build -t pipewright-registry .
#   docker run -d --name registry -v pwdata:/data -p 8080:8080 pipewright-registry
#
# The base image can be replaced (a mirror, a pinned digest): --build-arg NODE_IMAGE=...
ARG NODE_IMAGE=node:20-bookworm-slim

# Build stage: every dependency (better-sqlite3 compiles natively when no prebuilt binary
# fits, hence python3, make and g++), the TypeScript build and the precompiled validators,
# then only the production dependencies are kept.
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3
COPY tsconfig.json ./
COPY schemas ./schemas
COPY compiler ./compiler
COPY client ./client
COPY runtime ./runtime
COPY registry ./registry
COPY audit ./audit
COPY export ./export
COPY cli ./cli
RUN npm run build \
 && rm -rf dist/test dist/bench \
 && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: Node and what `registry serve` reads — the build, the production
# dependencies, package.json, the JSON Schemas and the catalog's views and static files.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/schemas/*.json ./schemas/
COPY --from=build /src/registry/views ./registry/views
COPY --from=build /src/registry/static ./registry/static
# The database lives in the volume, owned by the unprivileged user `node` of the Node images
# (SQLite writes its -wal and -shm files beside the database, so the folder must be writable).
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME /data
EXPOSE 8080
# node, not curl: slim images have no curl. Healthy when /healthz (which queries the database) answers 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Any pipewright command: `docker run ... pipewright-registry registry backup --db /data/registry.db --to /data/b.db`.
ENTRYPOINT ["node", "/app/dist/cli/bin.js"]
CMD ["registry", "serve", "--db", "/data/registry.db", "--host", "0.0.0.0", "--port", "8080"]
