# syntax=docker/dockerfile:1
# Build: compile TypeScript and the native CRFsuite binding (node-gyp needs python3, make, g++).
FROM node:20-bookworm AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

# Runtime: the compiled service, its production dependencies and the shipped models, as a non-root user.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production MODEL_DIR=/app/models
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node models ./models
USER node
# Extraction needs only the shipped model: `docker run IMAGE extract "note text"`.
ENTRYPOINT ["node", "dist/cli/bin.js"]
CMD ["--help"]
