# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""python3 -m lab.nodes: see lab/nodes/__init__.py."""
import argparse
import json
import os
import sys

from lab import nodes
from lab.nodes.app import app
from lab.nodes.fleet import down, ssh_argv, status, up
from lab.nodes.names import POWER_STATES, NodeError
from lab.nodes.power import power


def main(argv=None):
    p = argparse.ArgumentParser(description=nodes.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("up")
    s.add_argument("--lab", default="default")
    s.add_argument("--nodes", help="node names (default: the lab's named VMs)")
    s.add_argument("--standalone", action="store_true", help="no simulator: the nodes are simply on")
    s.add_argument("--physical", default="", help="physical node names (no VM; powered by their BMC)")
    sub.add_parser("down")
    s = sub.add_parser("status")
    s.add_argument("--json", action="store_true")
    s = sub.add_parser("power")
    s.add_argument("node")
    s.add_argument("state", choices=POWER_STATES)
    s = sub.add_parser("app")
    s.add_argument("action", choices=["start", "stop", "status"])
    s.add_argument("node")
    s = sub.add_parser("ssh")
    s.add_argument("node")
    s.add_argument("command", nargs=argparse.REMAINDER)
    args = p.parse_args(argv)
    try:
        if args.cmd == "up":
            up(None if args.standalone else args.lab, args.nodes.split(",") if args.nodes else None,
               physical=args.physical.split(","))
        elif args.cmd == "down":
            down()
        elif args.cmd == "status":
            st = status()
            if args.json:
                print(json.dumps(st, indent=2))
            for name, n in ({} if args.json else st).items():
                print("%-8s %-12s %-11s link=%-5s ssh=%-5s app=%-5s processes=%d"
                      % (name, n["address"], n["power"], n["link"], n["ssh"], n["app"], n["processes"]))
            return 0 if st and all(n["ssh"] == (n["power"] == "poweredOn") for n in st.values()) else 1
        elif args.cmd == "power":
            print(power(args.node, args.state))
        elif args.cmd == "app":
            print(app(args.action, args.node))
        elif args.cmd == "ssh":
            argv = ssh_argv(args.node, args.command)
            os.execvp(argv[0], argv)
    except NodeError as e:
        sys.stderr.write("nodes: %s\n" % e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
