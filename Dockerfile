# The collector (agl serve) built from this repository. TypeScript sources run through tsx
# (a runtime dependency); the one build step is the dashboard's static files (Vite).
FROM node:20-bookworm-slim

WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci && npm cache clean --force
COPY . .
RUN npm run build:dashboard

ENV NODE_ENV=production
VOLUME ["/data"]
EXPOSE 4318

# 0.0.0.0: reachable from the other containers and through the published port.
CMD ["node", "bin/agl.js", "serve", "--host", "0.0.0.0", "--port", "4318", "--db", "/data/agl.duckdb"]
