#!/bin/sh
# Runs before `npm test` (and so in .ci/run): the tools some tests drive, from Debian's packages.
# - chromium: the web console's browser tests drive it through playwright-core, with no browser download;
# - sqlite3: test/store/index-build.test.ts leaves a cut-off index build's traces in the embedded database's files
#   (not needed with MONGODB_URI, where that test does not run).
# A fresh Debian machine gets them from apt when we may install packages (root); otherwise this says how, and those
# tests fail saying the same (never a skip).
need() { # need <what> <command or path> <package> <why>
  if [ -x "$2" ] || command -v "$2" >/dev/null 2>&1; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test: installing $1 for $4 (apt-get install $3)"
    (apt-get install -y -qq "$3" || (apt-get update -qq && apt-get install -y -qq "$3")) >/dev/null 2>&1 \
      || echo "test: could not install $1; $4 will fail saying so"
  else
    echo "test: no $1 ($2): $4 need it (sudo apt-get install -y $3)"
  fi
}
need chromium "${CHROMIUM_PATH:-/usr/bin/chromium}" chromium "the web console's browser tests (or set CHROMIUM_PATH)"
[ -n "${MONGODB_URI:-}" ] || need sqlite3 sqlite3 sqlite3 "test/store/index-build.test.ts"
exit 0
