#!/usr/bin/env bash
# Run the tests: set up .venv and the system packages the tests need, then pytest.
# Extra arguments go to pytest, e.g. scripts/test.sh -m "not browser" -x
set -eu
cd "$(dirname "$0")/.."
. scripts/_venv.sh

ensure_venv '.[test]' test
touch .venv/.hehu-installed-base  # .[test] includes everything start.sh needs

# Browser tests need Chromium and a Chinese font; database tests need PostgreSQL's server;
# the JupyterHub test needs Node.js.
missing=()
command -v chromium >/dev/null || missing+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei)
[ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql)
# The JupyterHub test's proxy, configurable-http-proxy, is installed with npm on first use.
if ! command -v configurable-http-proxy >/dev/null; then
    { command -v node && command -v npm; } >/dev/null || missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        echo ">> installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "!! missing ${missing[*]}: their tests will be skipped. Install with:" >&2
        echo "   sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    fi
fi

exec .venv/bin/python -m pytest "$@"
