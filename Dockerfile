# syntax=docker/dockerfile:1
# Multi-stage image for the /stylize bot.
#   docker build -t stylize-bot .                          # weights fetched at build time
#   docker build --build-arg FETCH_WEIGHTS=0 -t stylize-bot .   # weights mounted at run time:
#   docker run -v /path/to/vgg19.h5:/weights/vgg19.h5:ro -e VGG19_WEIGHTS=/weights/vgg19.h5 --env-file .env -p 8080:8080 -p 3000:3000 stylize-bot

# glibc base: sharp's and tfjs-node's prebuilt binaries need glibc, not musl (alpine).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# onnxruntime-node's install script reads this and skips downloading its CUDA provider (the CPU
# libraries ship in the package); the image's npm 10 does not know package.json's allowScripts.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    WEIGHTS_CACHE_DIR=/app/.cache/weights \
    HTTP_PORT=8080 \
    ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; tfjs-node (optional) downloads libtensorflow in its install script,
# which is what makes the native backend available inside the image.
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm install --no-save --no-audit --no-fund @tensorflow/tfjs-node@4.22.0 \
    && npm cache clean --force
# 1: add onnxruntime-node's CUDA 12 provider (backend onnx-cuda; needs a GPU at run time).
ARG ONNXRUNTIME_CUDA=0
RUN if [ "$ONNXRUNTIME_CUDA" = "1" ]; then ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node; fi
COPY --from=build /app/dist ./dist
COPY NOTICE LICENSE README.md ./
ARG FETCH_WEIGHTS=1
RUN mkdir -p /app/.cache/weights /app/.cache/styles \
    && if [ "$FETCH_WEIGHTS" = "1" ]; then node dist/cli/fetch-weights.js; fi \
    && chown -R node:node /app/.cache
USER node
EXPOSE 8080 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HTTP_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/main.js"]
