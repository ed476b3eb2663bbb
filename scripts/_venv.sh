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
stamp="$venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)-${extra:-base}"
if [ ! -f "$stamp" ]; then
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet --editable ".${extra:+[$extra]}"
    touch "$stamp"
fi
export PATH="$PWD/$venv/bin:$PATH"
