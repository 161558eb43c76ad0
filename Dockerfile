# The collector (agl serve) built from this repository. TypeScript sources run through tsx
# (a runtime dependency), so there is no build step.
FROM node:20-bookworm-slim

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci && npm cache clean --force
COPY . .

ENV NODE_ENV=production
VOLUME ["/data"]
EXPOSE 4318

# 0.0.0.0: reachable from the other containers and through the published port.
CMD ["node", "bin/agl.js", "serve", "--host", "0.0.0.0", "--port", "4318", "--db", "/data/agl.duckdb"]
