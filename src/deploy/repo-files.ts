// The files `taser init` writes into a deployment repository (besides the example plugin). Text only: the
// logic is in init.ts. The workflows use only actions pinned to full commit SHAs and pass actionlint.
export interface RepoOptions {
  /** The taser image the deployment builds FROM. */
  image: string;
  /** Owners of everything (CODEOWNERS), e.g. @your-org/taser-admins. */
  owners: string;
  /** The example plugin's namespace. */
  example: string;
}

// actions/checkout v4.2.2: a tag can move, a commit cannot.
export const CHECKOUT = 'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2';

export const taserYaml = (o: RepoOptions) => `# taser's configuration for this deployment, baked into the image (see Dockerfile).
# Every pull request runs \`taser config check taser.yaml\` on it. Secrets never go here: settings name the
# environment variable that holds them (e.g. tokenEnv: OKTA_API_TOKEN). Every section is described in taser's
# README and taser.example.yaml; each plugin's settings in its README.

# This repository's own plugins (one folder each), relative to this file.
pluginPaths:
  - plugins

# Settings per plugin namespace; \`enabled\` turns a plugin on or off.
plugins:
  # The example from \`taser init\`: /taser ${o.example} (plugins/${o.example}).
  ${o.example}:
    enabled: true
    greeting: Hello

# Where alert cards go (Slack channel ids).
channels:
  teams: {}
  # default: C0123ABCDEF
  # teams:
  #   appsec: C0123ABCDEF

# ACL groups by Slack user id, e-mail or user group id; commands and queries name them.
groups: {}
  # soc-leads:
  #   users: [U0123ABCD]

# Outbound HTTP for plugins. Proxies come from HTTPS_PROXY / HTTP_PROXY / NO_PROXY in the environment.
# http:
#   timeoutMs: 30000
#   caFiles: [certs/corporate-ca.pem]
`;

export const dockerfile = (o: RepoOptions) => `# This deployment's image: taser plus this repository's plugins and config. Plugins are TypeScript; taser
# loads them as they are (through tsx). They sit under /app so that \`taser/plugin\` and taser's own
# dependencies (zod, ...) resolve for them.
ARG TASER_IMAGE=${o.image}
FROM \${TASER_IMAGE}
COPY --chown=node:node taser.yaml /app/deploy/taser.yaml
COPY --chown=node:node plugins /app/deploy/plugins
ENV TASER_CONFIG=/app/deploy/taser.yaml
`;

export const dockerignore = `.git
.github
*.md
`;

export const compose = `# MongoDB (one-node replica set) and this deployment's taser in HTTP mode. Secrets come from the environment
# (.env): SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, and what your plugins' settings name.
# Start: docker compose up --build
services:
  mongodb:
    image: mongo:7
    command: ["--replSet", "rs0", "--bind_ip_all"]
    healthcheck:
      test: ["CMD", "mongosh", "--quiet", "--eval", "try { rs.status().ok } catch (e) { rs.initiate({_id: 'rs0', members: [{_id: 0, host: 'mongodb:27017'}]}).ok }"]
      interval: 5s
      timeout: 10s
      retries: 30
    volumes:
      - mongodb-data:/data/db

  taser:
    build: .
    depends_on:
      mongodb:
        condition: service_healthy
    environment:
      MONGODB_URI: mongodb://mongodb:27017/taser?replicaSet=rs0
      SLACK_BOT_TOKEN: \${SLACK_BOT_TOKEN:?set SLACK_BOT_TOKEN}
      SLACK_SIGNING_SECRET: \${SLACK_SIGNING_SECRET:?set SLACK_SIGNING_SECRET}
      HTTPS_PROXY: \${HTTPS_PROXY:-}
      NO_PROXY: \${NO_PROXY:-}
      LOG_LEVEL: \${LOG_LEVEL:-info}
    ports:
      - "127.0.0.1:3000:3000"

volumes:
  mongodb-data:
`;

export const codeowners = (o: RepoOptions) => `# Every change needs a review from the bot's owners. A team that adds a plugin adds a line for its folder,
# so that its own people review changes to it as well (the last matching line wins).
* ${o.owners}
/plugins/${o.example}/ ${o.owners}
`;

export const gitignore = `node_modules/
*.log
manifest-*.yaml
`;

/** The checks, run inside the deployment's image; the workflow runs each step, a person can run them too. */
export const checksSh = `#!/bin/sh
# The pull request checks, run inside this deployment's image (working directory /app: taser, with this
# repository's plugins and config under deploy/, as the Dockerfile puts them). Each step is one argument:
#   docker build -t candidate .
#   docker run --rm -v "$PWD/.github:/app/ci:ro" --entrypoint sh candidate ci/checks.sh config
# Steps: config, plugins (taser plugin check, each), tests (each plugin's own), manifest-diff BASE HEAD.
set -eu

taser() { node bin/taser.js "$@"; }

case "\${1:-}" in
  config)
    taser config check deploy/taser.yaml
    ;;
  plugins)
    status=0
    for dir in deploy/plugins/*/; do
      [ -f "\${dir}index.ts" ] || [ -f "\${dir}index.js" ] || continue
      taser plugin check "$dir" || status=1
    done
    exit "$status"
    ;;
  tests)
    status=0
    files=""
    for dir in deploy/plugins/*/; do
      [ -f "\${dir}index.ts" ] || [ -f "\${dir}index.js" ] || continue
      found=""
      for file in "$dir"*.test.ts; do
        [ -f "$file" ] && found="$found $file"
      done
      if [ -z "$found" ]; then
        echo "FAIL \${dir}: no test (*.test.ts) beside the plugin"
        status=1
      fi
      files="$files$found"
    done
    if [ -n "$files" ]; then
      # shellcheck disable=SC2086
      node --import tsx --test $files || status=1
    fi
    exit "$status"
    ;;
  manifest-diff)
    node ci/manifest-diff.mjs "$2" "$3"
    ;;
  *)
    echo "usage: checks.sh config|plugins|tests|manifest-diff BASE HEAD" >&2
    exit 2
    ;;
esac
`;

export const manifestDiff = `// Compares two Slack app manifests (YAML or JSON, as \`taser manifest\` prints them) and prints, in Markdown
// for the job summary, what a Slack admin must approve before merging: new slash commands, scopes and events.
// Runs inside the taser image (its node_modules has the yaml parser).
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';

const [basePath, headPath] = process.argv.slice(2);
const read = (path) => {
  const text = path && existsSync(path) ? readFileSync(path, 'utf8') : '';
  return text.trim() ? parse(text) : {};
};
const parts = (m) => ({
  'slash commands': (m?.features?.slash_commands ?? []).map((c) => c.command),
  'bot scopes': m?.oauth_config?.scopes?.bot ?? [],
  'user scopes': m?.oauth_config?.scopes?.user ?? [],
  'bot events': m?.settings?.event_subscriptions?.bot_events ?? [],
});
const base = parts(read(basePath));
const head = parts(read(headPath));
const lines = ['## Slack app changes in this pull request', ''];
let added = 0;
for (const [what, now] of Object.entries(head)) {
  const before = new Set(base[what]);
  const after = new Set(now);
  const plus = now.filter((x) => !before.has(x));
  const minus = base[what].filter((x) => !after.has(x));
  added += plus.length;
  for (const x of plus) lines.push(\`- **new** \${what.replace(/s$/, '')}: \\\`\${x}\\\`\`);
  for (const x of minus) lines.push(\`- removed \${what.replace(/s$/, '')}: \\\`\${x}\\\`\`);
}
if (lines.length === 2) lines.push('No new slash commands, scopes or events: nothing for a Slack admin to approve.');
else if (added) lines.push('', 'A Slack admin must add these to the Slack app (paste the new manifest) before this is deployed.');
console.log(lines.join('\\n'));
`;

export const pullRequestWorkflow = (o: RepoOptions) => `# Every pull request: build the image it would ship, then check it as it would run. The plugin code of the
# pull request runs here (taser plugin check imports it), in CI, not on a reviewer's machine; pull requests
# from forks get no secrets.
name: pull request

on:
  pull_request:
    branches: [main]

permissions:
  contents: read

jobs:
  check:
    runs-on: ubuntu-24.04
    timeout-minutes: 30
    steps:
      - uses: ${CHECKOUT}
        with:
          persist-credentials: false

      - name: Build the candidate image (${o.image} + this pull request's plugins and config)
        run: docker build --pull -t candidate .

      - name: taser config check
        run: docker run --rm -v "$PWD/.github:/app/ci:ro" --entrypoint sh candidate ci/checks.sh config

      - name: taser plugin check, each plugin
        run: docker run --rm -v "$PWD/.github:/app/ci:ro" --entrypoint sh candidate ci/checks.sh plugins

      - name: The plugins' own tests
        run: docker run --rm -v "$PWD/.github:/app/ci:ro" --entrypoint sh candidate ci/checks.sh tests

      - uses: ${CHECKOUT}
        with:
          ref: \${{ github.event.pull_request.base.sha }}
          path: base
          persist-credentials: false

      - name: Manifest diff (new slash commands, scopes and events a Slack admin must approve)
        run: |
          mkdir -p out
          docker run --rm candidate manifest > out/manifest-head.yaml
          if docker build -t base-image base && docker run --rm base-image manifest > out/manifest-base.yaml; then :; else
            echo "the base branch has no manifest: every entry is new" && : > out/manifest-base.yaml
          fi
          docker run --rm -v "$PWD/.github:/app/ci:ro" -v "$PWD/out:/app/out:ro" --entrypoint sh candidate \\
            ci/checks.sh manifest-diff out/manifest-base.yaml out/manifest-head.yaml >> "$GITHUB_STEP_SUMMARY"
`;

export const deployWorkflow = `# On merge to main: build the image, push it to the GitHub container registry, and roll it out when a
# rollout hook is configured (repository variable ROLLOUT_URL, secret ROLLOUT_TOKEN): it receives the image
# reference as JSON, e.g. for your deployment tool or a small service that updates the Kubernetes deployment.
name: deploy

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions:
  contents: read
  packages: write

concurrency:
  group: deploy
  cancel-in-progress: false

jobs:
  image:
    runs-on: ubuntu-24.04
    timeout-minutes: 30
    outputs:
      image: \${{ steps.push.outputs.image }}
    steps:
      - uses: ${CHECKOUT}
        with:
          persist-credentials: false

      - name: Log in to ghcr.io
        run: echo "$TOKEN" | docker login ghcr.io --username "$ACTOR" --password-stdin
        env:
          TOKEN: \${{ secrets.GITHUB_TOKEN }}
          ACTOR: \${{ github.actor }}

      - name: Build and push
        id: push
        run: |
          image="ghcr.io/\${GITHUB_REPOSITORY,,}"
          docker build --pull -t "$image:$GITHUB_SHA" -t "$image:main" .
          docker push "$image:$GITHUB_SHA"
          docker push "$image:main"
          echo "image=$image:$GITHUB_SHA" >> "$GITHUB_OUTPUT"

  rollout:
    needs: image
    if: vars.ROLLOUT_URL != ''
    runs-on: ubuntu-24.04
    timeout-minutes: 15
    environment: production
    steps:
      - name: Roll out
        run: |
          curl --fail-with-body --silent --show-error --max-time 60 -X POST "$ROLLOUT_URL" \\
            -H "Authorization: Bearer $ROLLOUT_TOKEN" -H 'content-type: application/json' \\
            --data "{\\"image\\": \\"$IMAGE\\"}"
        env:
          ROLLOUT_URL: \${{ vars.ROLLOUT_URL }}
          ROLLOUT_TOKEN: \${{ secrets.ROLLOUT_TOKEN }}
          IMAGE: \${{ needs.image.outputs.image }}
`;

export const readme = (o: RepoOptions) => `# taser deployment

This repository is our taser: the bot's configuration (\`taser.yaml\`) and our own plugins (\`plugins/\`), built
into an image FROM \`${o.image}\`. Every pull request is checked; every merge to \`main\` is built, pushed and
(when configured) rolled out.

## Add a plugin (a team's own command, source, Positron provider or job)

1. Write the skeleton with the taser image (\`--kind\` is \`command\`, \`source\`, \`positron\` or \`job\`):

   \`\`\`sh
   docker run --rm -u "$(id -u)" -v "$PWD/plugins:/app/deploy/plugins" ${o.image} plugin new my-team --kind command --dir deploy/plugins
   \`\`\`

   It writes \`plugins/my-team/\` with \`index.ts\`, a \`README.md\` and a test, which pass as written. Plugins
   import only \`taser/plugin\` (\`definePlugin\`, \`z\`, the Positron query types, \`loadPluginForUnitTest\`) and
   never each other. Outbound calls go through \`ctx.http\` (proxies, CAs, retries and metrics are taser's).
2. Make it do what your team needs; keep its test and README true.
3. Turn it on in \`taser.yaml\` (\`plugins.my-team.enabled: true\` and its settings), and add your team to
   \`CODEOWNERS\` for \`/plugins/my-team/\`.
4. Check it as CI will (each step is one argument of \`.github/checks.sh\`):

   \`\`\`sh
   docker build -t candidate .
   for step in config plugins tests; do
     docker run --rm -v "$PWD/.github:/app/ci:ro" --entrypoint sh candidate ci/checks.sh "$step"
   done
   \`\`\`

5. Open a pull request. CI builds the image and runs \`taser config check\`, \`taser plugin check\` on each plugin
   and the plugins' tests, and writes a **manifest diff** to the job summary: new slash commands, scopes or
   events must be approved by a Slack admin (who pastes the new manifest, \`docker run --rm IMAGE manifest\`)
   before the merge.
6. Once approved by the CODEOWNERS and merged, the deploy workflow pushes \`ghcr.io/<this repository>:<commit>\`
   and, if \`ROLLOUT_URL\` is set, rolls it out.

\`taser plugin check\` imports and runs the plugin's code: check a pull request's plugin in CI, not on your
workstation.

## Run it

\`docker compose up --build\` (MongoDB and taser in HTTP mode; put \`SLACK_BOT_TOKEN\` and \`SLACK_SIGNING_SECRET\`
in \`.env\`). Behind an egress proxy, set \`HTTPS_PROXY\` and \`NO_PROXY\`; a private CA goes in \`http.caFiles\`
in \`taser.yaml\` (copied into the image) or \`NODE_EXTRA_CA_CERTS\`.
`;
