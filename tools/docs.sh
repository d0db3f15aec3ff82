#!/usr/bin/env bash
# The collection's documentation site, as Ansible collections build theirs:
# antsibull-docs writes a Sphinx project and the plugin and role pages, and
# Sphinx builds it with docs.ansible.com's theme; the guides (docs/*.md, the
# README, the roles' READMEs) come in through MyST. Warnings fail the build.
# Output: .build/docs/html (index.html). Run by `make docs`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
src=.build/docs/src
out=.build/docs/html
export ANSIBLE_COLLECTIONS_PATH=$root/.build/collections PATH=$root/.venv/bin:$PATH

rm -rf .build/docs
# antsibull-docs wants its directories readable and writable by their owner only.
mkdir -p .build/docs && mkdir -m 700 "$src"
antsibull-docs sphinx-init --use-current --fail-on-error \
  --project vigil.ha --copyright "vigil.ha developers" --title "vigil.ha" \
  --index-rst-source docs/site/index.rst --dest-dir "$src" vigil.ha >/dev/null
cat >> "$src/conf.py" <<'PY'

# vigil.ha (tools/docs.sh): the build is offline, so docs.ansible.com's
# inventory is not fetched; docs/site/ansible_objects.py writes the labels the
# pages use, which link to docs.ansible.com as the fetched one would.
intersphinx_mapping = {'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', '../ansible_devel.inv')}
# The guides are Markdown; their section anchors are the ones GitHub makes.
extensions.append('myst_parser')
source_suffix = {'.rst': 'restructuredtext', '.md': 'markdown'}
myst_heading_anchors = 4
PY
python3 docs/site/ansible_objects.py "$src/ansible_devel.inv"
chmod 700 "$src/rst"
antsibull-docs --config-file "$src/antsibull-docs.cfg" collection --cleanup everything --fail-on-error \
  --use-current --dest-dir "$src/rst" vigil.ha >/dev/null

# The guides where their relative links expect each other.
mkdir -p "$src/rst/docs" "$src/rst/roles/node" "$src/rst/roles/watcher"
cp README.md LICENSE "$src/rst/"
cp docs/*.md "$src/rst/docs/"
cp -r docs/examples "$src/rst/docs/"
for role in node watcher; do cp "roles/$role/README.md" "$src/rst/roles/$role/"; done

sphinx-build -q -b html -W --keep-going -c "$src" "$src/rst" "$out"
echo "docs: $out/index.html"
