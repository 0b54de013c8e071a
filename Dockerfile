# syntax=docker/dockerfile:1
# One image, two roles: `serve` (the HTTP API, the default) and `worker` (queue worker: bulk jobs and the
# nightly run); docker-compose.yml runs both. Other commands: `docker run IMAGE extract "note"`, `db migrate`.
#
# Build: compile TypeScript and the native CRFsuite binding (node-gyp needs python3, make, g++).
FROM node:24-bookworm AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json ./
COPY stubs ./stubs
COPY src ./src
# npm ci compiles crfsuite's native addon from its C sources (build_from_source: node-pre-gyp would otherwise
# try a prebuilt download first) and runs `prepare` (tsc → dist/); the runtime stage gets the built addon with
# node_modules and needs no compiler. The checks: the addon loads, the CLI starts.
ENV npm_config_build_from_source=crfsuite
RUN npm ci --no-audit --no-fund && npm prune --omit=dev \
  && node -e "require('crfsuite')" && node dist/cli/bin.js --help >/dev/null

# Runtime: the compiled service, its production dependencies and the shipped models, as a non-root user.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production MODEL_DIR=/app/models HOST=0.0.0.0 PORT=3000 \
  INBOX_DIR=/app/var/inbox OUTBOX_DIR=/app/var/outbox
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/stubs ./stubs
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node models ./models
COPY --chown=node:node data ./data
COPY --chown=node:node public ./public
# The nightly inbox and outbox, owned by the runtime user (an empty named volume mounted here takes this owner).
RUN mkdir -p var/inbox var/outbox && chown -R node:node var
USER node
EXPOSE 3000
# Liveness through Node itself (the slim image has no curl): GET /health when the container serves the API;
# other roles (a worker serves no HTTP) count as alive while their process runs.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD ["node", "-e", "if(!require('fs').readFileSync('/proc/1/cmdline','utf8').split('\\0').includes('serve'))process.exit(0);fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The CLI is the entry point; by default it serves the API on the shipped model. SIGTERM drains in-flight
# requests (node is PID 1 here and handles the signal itself). Other uses: `docker run IMAGE extract "note"`.
ENTRYPOINT ["node", "dist/cli/bin.js"]
CMD ["serve"]
