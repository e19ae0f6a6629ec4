#!/bin/sh
# Runs before `npm test` (and so in .ci/run): the web console's browser tests drive Debian's chromium through
# playwright-core, with no browser download. A fresh Debian machine gets it from apt when we may install
# packages (root); otherwise this says how, and those tests fail saying the same (never a skip).
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$chromium" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test: installing chromium for the web console's browser tests (apt-get install chromium)"
  (apt-get install -y -qq chromium || (apt-get update -qq && apt-get install -y -qq chromium)) >/dev/null 2>&1 \
    || echo "test: could not install chromium; the console's browser tests will fail saying so"
else
  echo "test: no chromium at $chromium: the console's browser tests need it (sudo apt-get install -y chromium, or set CHROMIUM_PATH)"
fi
exit 0
