#!/usr/bin/env python3
"""Gives an MSI built by wixl (msitools) the Registry table rows that WiX 3 writes for the same
fragments, where the two differ.

wixl is not WiX 3: it writes a RegistryValue of Type="expandable" as a plain string (REG_SZ)
where WiX 3 prefixes it with "#%" (REG_EXPAND_SZ), and it ignores
RegistryKey/@ForceDeleteOnUninstall, for which WiX 3 adds a row named "-" (the key and all under
it go on uninstall). This adds exactly those rows, and only where a fragment asks for them, so a
fragment that stops asking fails the check as it would fail under WiX 3.

  wix3-registry-rows.py REGISTRY_IDT FRAGMENT.wxs...   rewrites REGISTRY_IDT (from
                                                        `msiinfo export`), prints each change
"""

import sys
import xml.etree.ElementTree as ET

WIX = "{http://schemas.microsoft.com/wix/2006/wi}"
ROOTS = {"HKCR": "0", "HKCU": "1", "HKLM": "2", "HKU": "3", "HKMU": "-1"}


def key_of(key):
    # wixl ends each key with a backslash; WiX does not.
    return key.rstrip("\\")


def main(idt_path, fragments):
    with open(idt_path, encoding="utf-8", newline="") as f:
        lines = f.read().split("\r\n")
    header, rows = lines[:3], [line.split("\t") for line in lines[3:] if line]
    changes = []

    for fragment in fragments:
        for component in ET.parse(fragment).iter(WIX + "Component"):
            for reg_key in component.iter(WIX + "RegistryKey"):
                root, key = ROOTS[reg_key.get("Root")], key_of(reg_key.get("Key"))
                for value in reg_key.iter(WIX + "RegistryValue"):
                    prefix = {"expandable": "#%", "integer": "#"}.get(value.get("Type"))
                    if prefix is None:
                        continue
                    for row in rows:
                        if (row[1], key_of(row[2]), row[3]) == (root, key, value.get("Name", "")):
                            if not row[4].startswith(prefix):
                                row[4] = prefix + row[4]
                                changes.append(f"{value.get('Name')}: value written as {prefix}…")
                if reg_key.get("ForceDeleteOnUninstall") == "yes":
                    rows.append([f"force_delete_{len(rows)}", root, key, "-", "", component.get("Id")])
                    changes.append(f"{key}: row '-' (ForceDeleteOnUninstall)")

    with open(idt_path, "w", encoding="utf-8", newline="") as f:
        f.write("\r\n".join(header + ["\t".join(row) for row in rows]) + "\r\n")
    for change in changes:
        print(change)


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:])
