#!/usr/bin/env python3
"""Print deb-src stanzas (deb822) for the Debian archives this system
already uses for binary packages, so that 'apt-get source' works without
naming any host here. Reads one-line sources.list files and deb822
.sources files; keeps only Debian's own archives (signed by Debian's
archive keyring, or on a path ending in /debian or /debian-security)."""
import glob
import os
import re
import sys

ROOT = "/etc/apt"


ONE_LINE = re.compile(r"^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$")


def one_line_entries(path):
    for line in open(path, encoding="utf-8", errors="replace"):
        m = ONE_LINE.match(line.split("#", 1)[0].strip())
        if not m:
            continue
        opts = dict(o.split("=", 1) for o in (m.group(1) or "").split()
                    if "=" in o)
        yield {
            "uris": m.group(2),
            "suites": m.group(3),
            "components": m.group(4).strip(),
            "signed-by": opts.get("signed-by", ""),
        }


def deb822_entries(path):
    stanza = {}
    last = None
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    for line in lines + [""]:
        if line.startswith("#"):
            continue
        if not line.strip():
            if stanza:
                if "deb" in stanza.get("types", "").split() and \
                        stanza.get("enabled", "yes").lower() != "no":
                    yield stanza
            stanza = {}
            last = None
            continue
        if line[0] in " \t" and last:
            stanza[last] += " " + line.strip()
            continue
        if ":" in line:
            k, v = line.split(":", 1)
            last = k.strip().lower()
            stanza[last] = v.strip()


def is_debian(e):
    if "debian-archive-keyring" in e.get("signed-by", ""):
        return True
    return any(u.rstrip("/").endswith(("/debian", "/debian-security"))
               for u in e.get("uris", "").split())


def main():
    entries = []
    files = [os.path.join(ROOT, "sources.list")]
    files += sorted(glob.glob(os.path.join(ROOT, "sources.list.d", "*.list")))
    for f in files:
        if os.path.isfile(f):
            entries += list(one_line_entries(f))
    for f in sorted(glob.glob(os.path.join(ROOT, "sources.list.d", "*.sources"))):
        if os.path.basename(f).startswith("skiff-deb-src"):
            continue
        entries += list(deb822_entries(f))
    out = []
    for e in entries:
        if not is_debian(e) or not e.get("components"):
            continue
        s = ["Types: deb-src", "URIs: " + e["uris"], "Suites: " + e["suites"],
             "Components: " + e["components"]]
        if e.get("signed-by"):
            s.append("Signed-By: " + e["signed-by"])
        out.append("\n".join(s))
    if not out:
        return 1
    print("\n\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
