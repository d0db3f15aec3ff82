#!/usr/bin/env bash
# The demo: the lab comes up (or is reused), then tools/demo.py protects the
# hierarchy `web` on node1 and node2, starts the watcher (ansible-rulebook
# with vigil.ha.auto_failover), kills the service, crashes node1's VM,
# switches back by hand, and prints the status and the measured times.
# It cleans up after itself; the lab keeps running ('make lab-stop').
set -euo pipefail
cd "$(dirname "$0")/.."
printf '\n\033[1m== Starting the lab (vCenter simulator, 3 ESXi hosts, node1..node3 as SSH hosts)\033[0m\n'
python3 -m lab start
exec .venv/bin/python tools/demo.py
