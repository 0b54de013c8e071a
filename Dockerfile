# syntax=docker/dockerfile:1
# Build: compile TypeScript and the native CRFsuite binding (node-gyp needs python3, make, g++).
FROM node:20-bookworm AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json ./
COPY stubs ./stubs
COPY src ./src
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

# Runtime: the compiled service, its production dependencies and the shipped models, as a non-root user.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production MODEL_DIR=/app/models HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/stubs ./stubs
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node models ./models
USER node
EXPOSE 3000
# Liveness through Node itself (the slim image has no curl).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The CLI is the entry point; by default it serves the API on the shipped model. SIGTERM drains in-flight
# requests (node is PID 1 here and handles the signal itself). Other uses: `docker run IMAGE extract "note"`.
ENTRYPOINT ["node", "dist/cli/bin.js"]
CMD ["serve"]
