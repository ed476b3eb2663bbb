# Sourced by the other scripts: make sure .venv exists with the project installed.
# Usage: source scripts/_venv.sh [extra]   (extra: "dev" adds the test and lint tools)
extra="${1:-}"
venv="${VENV:-.venv}"
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "The portal needs Python 3.11 or newer; python3 is $(python3 --version)." >&2
    exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
hash="$(sha256sum <pyproject.toml | cut -c1-16)"
stamp="$venv/.installed-$hash-${extra:-base}"
installed() {
    # An install with extras (dev) includes the base one.
    [ -f "$stamp" ] || { [ -z "$extra" ] && compgen -G "$venv/.installed-$hash-*" >/dev/null; }
}
if ! installed; then
    echo "Installing the portal into $venv (the first time takes a minute)..."
    # pip's and the build backend's chatter goes to a log, shown only when something fails.
    log="$venv/install.log"
    if ! { "$venv/bin/python" -m pip install --quiet --upgrade pip &&
        "$venv/bin/python" -m pip install --quiet --editable ".${extra:+[$extra]}"; } >"$log" 2>&1; then
        cat "$log" >&2
        echo "Installing the portal failed; the output above is also in $log." >&2
        exit 1
    fi
    touch "$stamp"
fi
export PATH="$PWD/$venv/bin:$PATH"
