# Cadence: the bot with Debian's Chromium for WhatsApp Web. Build: docker compose build
FROM node:20-bookworm-slim

# Debian's Chromium drives WhatsApp Web; puppeteer downloads no browser of its own
# (package.json: puppeteer.skipDownload). tini forwards SIGTERM for a clean stop.
RUN apt-get update \
  && apt-get install -y --no-install-recommends chromium fonts-noto-color-emoji tini ca-certificates \
  && rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    CHROMIUM_PATH=/usr/bin/chromium \
    WA_SESSION_DIR=/app/data/wa-session \
    DATA_DIR=/app/data

WORKDIR /app
COPY package.json package-lock.json ./
# npm 10 in this image ignores package.json's allowScripts: keep mongodb-memory-server
# (the embedded fallback, unused with MONGODB_URI) from fetching a MongoDB binary.
RUN MONGOMS_DISABLE_POSTINSTALL=1 npm ci --omit=dev --no-audit --no-fund \
  && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
COPY commands ./commands

RUN mkdir -p /app/data && chown -R node:node /app/data
USER node
VOLUME ["/app/data"]

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "src/main.ts"]
