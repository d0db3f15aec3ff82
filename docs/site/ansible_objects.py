"""Write a Sphinx inventory (objects.inv) of the docs.ansible.com labels vigil.ha's pages refer to.

antsibull-docs' pages link to docs.ansible.com through intersphinx (``:ref:`common_return_values```,
another collection's plugin, ...). `make docs` is offline, so it cannot fetch docs.ansible.com's
inventory; this small one, written by tools/docs.sh, makes those links resolve to the same pages.
A new reference missing here fails the build ("undefined label"): add it below.
"""

import sys
import zlib

BASE = "https://docs.ansible.com/projects/ansible/devel/"

# label -> (page under BASE, title)
LABELS = {
    "common_return_values": ("reference_appendices/common_return_values.html", "Return Values"),
    "action_plugins": ("plugins/action.html", "Action plugins"),
    "ansible_configuration_settings": ("reference_appendices/config.html", "Ansible Configuration Settings"),
    "ansible_collections.ansible.builtin.file_lookup": (
        "collections/ansible/builtin/file_lookup.html", "ansible.builtin.file lookup"),
    "ansible_collections.community.vmware.vmware_vm_info_module": (
        "collections/community/vmware/vmware_vm_info_module.html", "community.vmware.vmware_vm_info module"),
}


def inventory():
    """The inventory's bytes: a text header, then the zlib-compressed entries (Sphinx's format 2)."""
    header = "# Sphinx inventory version 2\n# Project: Ansible\n# Version: devel\n# The remainder of this file is compressed using zlib.\n"
    entries = "".join(f"{label} std:label -1 {page} {title}\n" for label, (page, title) in sorted(LABELS.items()))
    return header.encode() + zlib.compress(entries.encode())


if __name__ == "__main__":
    with open(sys.argv[1], "wb") as f:
        f.write(inventory())
