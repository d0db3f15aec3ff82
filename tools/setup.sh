#!/usr/bin/env bash
# Install what `make demo` and `make test` need, and nothing that is there
# already: Debian packages for the lab, then the pinned .venv.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(golang-go golang-github-vmware-govmomi-dev openssl iproute2 curl shellcheck openssh-server openssh-client iputils-ping iputils-arping procps util-linux)
# The roles' packages: Molecule's test hosts share this machine's, and have no network.
APT_PACKAGES+=(python3-venv python3-apt openjdk-17-jre-headless)
# The fence agents and the IPMI client that talk to the lab's BMCs (fence_ipmilan runs ipmitool).
APT_PACKAGES+=(fence-agents ipmitool)
# promtool checks the shipped alert rules; headless Chromium and tesseract read the status page (issue 17).
APT_PACKAGES+=(prometheus chromium tesseract-ocr)
# Debian's own python3 needs python3-venv for `python3 -m venv`.
python3 -c 'import ensurepip' 2>/dev/null || APT_PACKAGES+=(python3-venv)
# ansible-rulebook needs Java 17 (its rules engine, Drools, runs in a JVM).
ls -d /usr/lib/jvm/java-17-openjdk-* >/dev/null 2>&1 || APT_PACKAGES+=(openjdk-17-jre-headless)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

want=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.requirements 2>/dev/null)" != "$want" ]; then
  echo "setup: preparing .venv"
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
  echo "$want" > .venv/.requirements
fi

# The watcher role's virtualenv offline (Molecule's test hosts reach no index):
# wheels of roles/watcher/files/requirements.txt, used with --no-index --find-links.
want=$(sha256sum roles/watcher/files/requirements.txt | cut -d' ' -f1)
if [ "$(cat .build/wheelhouse/.requirements 2>/dev/null)" != "$want" ]; then
  echo "setup: building .build/wheelhouse"
  rm -rf .build/wheelhouse
  .venv/bin/pip wheel -q --disable-pip-version-check -w .build/wheelhouse -r roles/watcher/files/requirements.txt
  echo "$want" > .build/wheelhouse/.requirements
fi

# Ansible finds the collection here (ansible.cfg's collections_path).
mkdir -p .build/collections/ansible_collections/vigil
ln -sfn ../../../.. .build/collections/ansible_collections/vigil/ha
