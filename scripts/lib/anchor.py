#!/usr/bin/env python3
"""Write the SHA-256 of a boot.cfg into the trust anchor of BOOTX64.EFI
(uefi/trust.h) and lock it, before the binary is signed:
anchor.py BOOTX64.EFI boot.cfg"""
import hashlib
import struct
import sys

MAGIC = b"SKIFF-ANCHOR-V1\0"


def main():
    efi, cfg = sys.argv[1:3]
    data = bytearray(open(efi, "rb").read())
    at = data.find(MAGIC)
    if at < 0 or data.find(MAGIC, at + 1) >= 0:
        sys.exit(f"anchor: {efi}: no single trust anchor found")
    digest = hashlib.sha256(open(cfg, "rb").read()).digest()
    data[at + 16:at + 48] = digest
    data[at + 48:at + 52] = struct.pack("<I", 1)
    open(efi, "wb").write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
