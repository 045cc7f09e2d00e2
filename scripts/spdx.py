#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
spdx.py [--check] - the licence line of every source file.

tproxyd is GPL-2.0-or-later (LICENSE). Every source file the repository
tracks (C, Python, shell, JavaScript, Lua, VCL, Makefile, debian/rules and
the maintainer scripts, any file starting with #!) carries

    SPDX-License-Identifier: GPL-2.0-or-later

in its first lines, as a comment of its language: on line 1, or on line 2
after a #! line. Without --check, adds the line where it is missing (run it
after adding files); with --check (`make style`), lists the files without
it and exits 1 if there is any. Data (test corpora, certificates,
configuration examples, documentation) is left alone.
"""

import subprocess
import sys
from pathlib import Path

TAG = "SPDX-License-Identifier: GPL-2.0-or-later"
ROOT = Path(__file__).resolve().parent.parent
# Extension -> the comment form of the line.
BY_EXT = {
    ".c": "/* %s */", ".h": "/* %s */",
    ".py": "# %s", ".sh": "# %s", ".vcl": "# %s",
    ".mjs": "// %s", ".lua": "-- %s",
}
BY_NAME = {"Makefile": "# %s"}
# Data that happens to look like source (none today).
SKIP_DIRS = ("tests/fuzz/corpus/", "tests/data/")


def comment_for(rel, first):
    p = Path(rel)
    if rel.startswith(SKIP_DIRS):
        return None
    if p.name in BY_NAME:
        return BY_NAME[p.name]
    if p.suffix in BY_EXT:
        return BY_EXT[p.suffix]
    if first.startswith(b"#!"):
        return "# %s"
    return None


def main():
    check = "--check" in sys.argv[1:]
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files"],
                           capture_output=True, text=True,
                           check=True).stdout.splitlines()
    missing = []
    for rel in files:
        path = ROOT / rel
        if not path.is_file() or path.is_symlink():
            continue
        data = path.read_bytes()
        form = comment_for(rel, data[:2])
        if form is None:
            continue
        head = data.split(b"\n", 3)[:3]
        if any(TAG.encode() in ln for ln in head):
            continue
        missing.append(rel)
        if check:
            continue
        line = (form % TAG).encode() + b"\n"
        if data.startswith(b"#!"):
            nl = data.find(b"\n") + 1
            data = data[:nl] + line + data[nl:]
        else:
            data = line + data
        path.write_bytes(data)
    if check:
        for rel in missing:
            print("%s: no '%s' line in its first lines (run "
                  "scripts/spdx.py)" % (rel, TAG))
        return 1 if missing else 0
    if missing:
        print("spdx: added the licence line to %d files" % len(missing))
    return 0


if __name__ == "__main__":
    sys.exit(main())
