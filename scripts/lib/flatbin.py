#!/usr/bin/env python3
"""Turn a linked ELF into a flat binary with objcopy and fail the build if
it is larger than its area on disk: flatbin.py OBJCOPY IN.elf OUT.bin
MAX_BYTES WHAT."""
import os
import subprocess
import sys


def main():
    objcopy, src, dst, limit, what = sys.argv[1:6]
    subprocess.run([objcopy, "-O", "binary", src, dst], check=True)
    size = os.path.getsize(dst)
    if size > int(limit, 0):
        os.unlink(dst)
        sys.exit(f"{what}: {size} bytes, more than its {int(limit, 0)}-byte area")
    return 0


if __name__ == "__main__":
    sys.exit(main())
