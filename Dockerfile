# taser container image: multi-stage, production dependencies only, non-root.
# Production runs against MongoDB (MONGODB_URI is required here: the image has no Go to build the embedded
# database). See compose.yaml.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY plugins ./plugins
# Plugin assets (templates, examples, READMEs) sit beside the compiled plugins.
RUN npm run build \
  && find plugins -type f ! -name '*.ts' -exec cp --parents {} dist/ \; \
  && find src/console -type f ! -name '*.ts' -exec cp --parents {} dist/ \;

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
# Templates and manifests are read at run time beside the compiled code (dist/ is the root there).
COPY blocks ./dist/blocks
COPY manifests ./dist/manifests
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# A deployment repository (`taser init`) builds FROM this image and copies its TypeScript plugins and config
# under /app/deploy, where `taser/plugin` and these node_modules resolve; tsx (a runtime dependency) loads them.
ENTRYPOINT ["node", "bin/taser.js"]
CMD ["start", "--http"]
