# dapr-event-bridge container image: the bridge CLI on Node 20.
#   docker build -t dapr-event-bridge .
#   docker run dapr-event-bridge                       # runs the bridge (see CMD)
#   docker run dapr-event-bridge emit --target bridge:50051 --rate 50
# The image holds no Dapr sidecar: run daprd next to it (docker-compose.yml, docs/kubernetes.md).

# --- build: install everything, compile TypeScript (npm ci runs `prepare` = `npm run build`),
# then drop the dev dependencies so the runtime stage copies production modules only.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY proto ./proto
COPY src ./src
RUN npm ci --no-audit --no-fund \
 && npm prune --omit=dev --no-audit --no-fund

# --- runtime
FROM node:20-slim
ENV NODE_ENV=production
# Cap the V8 heap: the bridge holds a bounded window; without a cap V8 grows the old space
# before collecting, which shows as RSS (see docs/performance.md).
ENV NODE_OPTIONS=--max-old-space-size=192
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Read at run time: the bridge loads its .proto files from <package root>/proto.
COPY --from=build /app/proto ./proto
# The spool (SQLite, WAL): mount a volume here, or every restart starts empty.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
# 50051: the sink (gRPC, SinkEventsAlpha). 9464: /metrics, /healthz, /readyz.
EXPOSE 50051 9464
ENTRYPOINT ["node", "dist/src/cli/main.js"]
# Listen on all interfaces inside the container (the defaults are 127.0.0.1, right for a host
# process but unreachable from other containers). The sidecar is found through
# DAPR_GRPC_ENDPOINT, or DAPR_HOST + DAPR_GRPC_PORT, else 127.0.0.1:50001.
# A sink without mTLS on a non-loopback address needs --allow-plaintext-public true (the bridge
# refuses to start otherwise): fine where only trusted sidecars reach the port (a private
# network, a NetworkPolicy); elsewhere give --tls-cert, --tls-key and --tls-client-ca instead.
CMD ["run", "--listen", "0.0.0.0:50051", "--allow-plaintext-public", "true", "--metrics-listen", "0.0.0.0:9464", "--spool-dir", "/data"]
