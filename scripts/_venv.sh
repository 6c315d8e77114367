# Sourced by start.sh and test.sh: make ./.venv exist and hold this project, installed.
# Usage: ensure_venv SPEC STAMP, e.g. ensure_venv '.[test]' test

ensure_venv() {
    spec=$1 stamp=.venv/.hehu-installed-$2

    # A venv without pip is what a failed "python3 -m venv" leaves behind on Debian.
    if [ ! -x .venv/bin/pip ]; then
        rm -rf .venv
        if ! python3 -m venv .venv; then
            rm -rf .venv
            if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
                echo ">> python3 -m venv failed: installing Debian's python3-venv" >&2
                apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
                python3 -m venv .venv
            else
                echo "!! python3 -m venv failed. On Debian/Ubuntu: sudo apt-get install python3-venv" >&2
                exit 1
            fi
        fi
    fi

    # Reinstall only when pyproject.toml changed since the last install: a second run is fast.
    if [ ! -e "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        echo ">> installing $spec into .venv"
        .venv/bin/pip install -q --disable-pip-version-check -e "$spec"
        touch "$stamp"
    fi

    # rfc3987-syntax (pulled in by jsonschema) adds ~2.4 s to every nbformat import and
    # to Voila's start; nothing here needs it and pip check stays clean without it.
    if ls .venv/lib/python3*/site-packages/rfc3987_syntax* >/dev/null 2>&1; then
        .venv/bin/pip uninstall -y -q rfc3987-syntax
    fi
}
