#!/usr/bin/env bash
# Run ansible-test against this collection without GitHub/ci-files access.
#
# Usage: tools/ansible-test.sh sanity|units|integration [ansible-test options...]
# Unless the caller picks hosts/pythons, --python 3.11 (ANSIBLE_TEST_PYTHON) is
# added so results don't depend on which other pythons happen to be installed,
# and units/integration get --venv (see below).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${REPO}/.venv"
PYTHON_VERSION="${ANSIBLE_TEST_PYTHON:-3.11}"
DEST="${REPO}/.build/ansible-test/ansible_collections/vigil/ha"

# ansible-test demands the ansible_collections/<ns>/<name> layout and resolves
# symlinks, so a real copy is needed; recreated each run so deletions propagate.
# (tar rather than rsync: rsync isn't installed everywhere.) tests/output of the
# copy is carried over: it holds the --venv environment (.tmp/delegation) that
# units/integration reuse, plus the last results.
KEEP="${REPO}/.build/ansible-test/output.keep"
rm -rf "${KEEP}"
[ -d "${DEST}/tests/output" ] && mv "${DEST}/tests/output" "${KEEP}"
rm -rf "${DEST}"
mkdir -p "${DEST}/tests"
(cd "${REPO}" && tar -cf - --exclude=./.venv --exclude=./.lab --exclude=./.build \
    --exclude=./.git --exclude=./tests/output --exclude=__pycache__ --exclude='*.pyc' \
    --exclude=.pytest_cache .) | tar -xf - -C "${DEST}"
[ -d "${KEEP}" ] && mv "${KEEP}" "${DEST}/tests/output"

# Each managed venv (sanity venvs, --venv) is created --without-pip and then
# bootstrapped by running ~/.ansible/test/cache/get_pip_<ver>.py, which
# ansible-test downloads from ci-files.testing.ansible.com (unreachable here).
# It only reuses that file if it exists, so seed it with a small stand-in that
# runs pip straight from the official pip wheel (fetched once from PyPI).
PIP_VERSION="$(sed -n "s/^ *pip='\([0-9.]*\)',\$/\1/p" \
    "${VENV}"/lib/python3.*/site-packages/ansible_test/_internal/python_requirements.py)"
[ -n "${PIP_VERSION}" ] || { echo "cannot find ansible-test's pip version" >&2; exit 1; }
CACHE="${HOME}/.ansible/test/cache"
WHEEL_DIR="${CACHE}/pip-wheels"
mkdir -p "${WHEEL_DIR}"
if [ ! -e "${WHEEL_DIR}/pip-${PIP_VERSION}-py3-none-any.whl" ]; then
    "${VENV}/bin/python" -m pip download --quiet --disable-pip-version-check \
        --no-deps --only-binary=:all: -d "${WHEEL_DIR}" "pip==${PIP_VERSION}"
fi
# Always rewritten so a stale/foreign file can't linger.
cat > "${CACHE}/get_pip_${PIP_VERSION//./_}.py" <<EOF
# Stand-in for get-pip.py written by vigil.ha tools/ansible-test.sh.
# Called as: get_pip.py [pip install options] pip==X [--no-setuptools] [--no-wheel]
import sys
WHEEL = "${WHEEL_DIR}/pip-${PIP_VERSION}-py3-none-any.whl"
sys.path.insert(0, WHEEL)  # pip supports running from its own wheel
from pip._internal.cli.main import main
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
sys.exit(main(["install", "--upgrade", "--force-reinstall", "--no-index",
               "--find-links", "${WHEEL_DIR}"] + args))
EOF

args=("$@")
opts="$(printf '%s\n' "$@")"
if ! grep -Eq '^--(python|docker|remote|controller|target)' <<<"${opts}"; then
    args+=(--python "${PYTHON_VERSION}")
fi
# units/integration need pytest-xdist, the collection's requirements, etc.;
# --venv installs them into a throwaway venv instead of the project's .venv.
# sanity needs no --venv: every sanity test gets its own managed venv anyway.
if [ "${1:-}" != sanity ] && ! grep -Eq '^--(venv|docker|remote|local|requirements|controller|target)' <<<"${opts}"; then
    args+=(--venv)
fi

export PATH="${VENV}/bin:${PATH}"
# Otherwise ansible-test walks up to /work/main/.git, lists git-tracked files
# (none: .build is ignored) and skips every target. Pinning the content root
# makes it use the plain file walk of the copy instead.
export ANSIBLE_TEST_CONTENT_ROOT="${DEST}"
cd "${DEST}"
# exec: ansible-test's exit status and output are the script's.
exec "${VENV}/bin/ansible-test" "${args[@]}"
