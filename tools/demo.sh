#!/usr/bin/env bash
# The demo: the lab comes up, the health playbook prints every ESXi host and
# VM, a host fails and a VM crashes, and the table shows it. The faults are
# undone at the end so the next run starts from a healthy lab.
set -euo pipefail
cd "$(dirname "$0")/.."
LAB="python3 tests/lab/labctl.py"
VARS=.lab/default/vcenter.json

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
health() { ansible-playbook vigil.ha.health -e "@${VARS}" | sed -n '/msg: |-/,/^PLAY RECAP/p' | sed '1d;$d;s/^        //'; }
undo() {
  $LAB fault hosts/esxi-02.lab/recover >/dev/null
  $LAB fault vms/node1/poweron >/dev/null
}

say "Starting the lab (vCenter simulator, 3 ESXi hosts, node1..node3 and fillers)"
$LAB start

say "Health of every ESXi host and VM"
health

trap undo EXIT
say "Injecting faults: ESXi host esxi-02.lab stops responding; VM node1 crashes"
$LAB fault hosts/esxi-02.lab/fail >/dev/null
$LAB fault vms/node1/crash >/dev/null

say "Health after the faults"
health

say "Undoing the faults"
undo
trap - EXIT
sleep 1  # VMware Tools come back about 0.3 s after power-on
health
say "Done. The lab keeps running for more: 'make lab-status', 'make lab-stop'."
