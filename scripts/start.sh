#!/usr/bin/env bash
# Quick start: set up .venv if needed, then serve Hehu with demo data.
# Extra arguments go to "hehu serve", e.g. scripts/start.sh --port 8866
set -eu
cd "$(dirname "$0")/.."
. scripts/_venv.sh

ensure_venv . base
exec .venv/bin/hehu serve --demo "$@"
