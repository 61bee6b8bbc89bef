# Multi-stage build: compile TypeScript, then ship only production dependencies and the compiled server.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# npm ci installs the workspace packages too: each needs its package.json in place first.
COPY package.json package-lock.json ./
COPY packages/embedded-mongo/package.json ./packages/embedded-mongo/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY packages/embedded-mongo/tsconfig.json packages/embedded-mongo/tsconfig.build.json ./packages/embedded-mongo/
COPY packages/embedded-mongo/src ./packages/embedded-mongo/src
COPY src ./src
COPY bench ./bench
# The records console (console/), bundled by esbuild into dist/console.
COPY console ./console
COPY scripts/build-console.js ./scripts/
RUN npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/embedded-mongo/package.json ./packages/embedded-mongo/
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
# node_modules/@fhirstone/embedded-mongo links to packages/embedded-mongo, which npm loads from its dist/.
COPY --from=build /app/packages/embedded-mongo/dist ./packages/embedded-mongo/dist
COPY --from=build /app/dist ./dist
COPY profiles ./profiles
# The ICD-10-CM order files (src/terminology/icd10cm/ reads them).
COPY terminology ./terminology
# The SMART Backend Services client helper (docker-compose's clients service; README, worked example).
COPY scripts/smart-backend-client.mjs ./scripts/
# The volume starts as this folder: the server's user's alone (the server refuses a DATA_DIR others may enter).
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
VOLUME /data
EXPOSE 8080
USER node
CMD ["node", "--max-semi-space-size=64", "dist/src/main.js"]
