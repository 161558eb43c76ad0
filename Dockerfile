# The collector (agl serve) built from this repository; the compose file runs the simulated model
# and the trainer from the same image. TypeScript sources run through tsx
# (a runtime dependency); the one build step is the dashboard's static files (Vite).
FROM node:20-bookworm-slim

# python3 for the trainer service's any-language agent (examples/any-language/room_selector.py,
# standard library only): the slim image has none.
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci && npm cache clean --force
COPY . .
RUN npm run build:dashboard

ENV NODE_ENV=production
VOLUME ["/data"]
EXPOSE 4318

# 0.0.0.0: reachable from the other containers and through the published port. 13133: health
# alone (--health-port), for probes that open a new connection per check.
CMD ["node", "bin/agl.js", "serve", "--host", "0.0.0.0", "--port", "4318", "--health-port", "13133", "--db", "/data/agl.duckdb"]
