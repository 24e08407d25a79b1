#!/usr/bin/env python3
"""Frames with good and bad TCP/UDP checksums, sent to a guest through a
tap device (AF_PACKET on the host's side of it, so the frames reach the
guest with no virtio-net header flags: nothing vouches for them), for
tests/net/offload.sh. Bounded in time.

  inject.py IFACE GUEST_MAC SRC_IP GUEST_IP PORT

For TCP, a SYN to PORT (where the guest listens) with a correct checksum
must get a SYN-ACK, and one with a wrong checksum nothing; for UDP, a
datagram to a closed port with a correct checksum must get an ICMP port
unreachable, and one with a wrong checksum nothing. Prints one line per
case and exits 0 when all four behaved.
"""
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
WAIT = 3.0  # seconds for an answer


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_packet(src, dst, proto, l4, ident):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident, 0,
                      64, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + l4


def l4_csum(src, dst, proto, l4):
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, proto, len(l4))
    return csum(pseudo + l4)


def tcp_syn(src, dst, sport, dport, bad):
    seq = 0x10000000 + sport
    opts = struct.pack("!BBH", 2, 4, 1460)  # MSS
    l4 = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, (5 + 1) << 4,
                     0x02, 8192, 0, 0) + opts
    c = l4_csum(src, dst, 6, l4) ^ (0x5A5A if bad else 0)
    return l4[:16] + struct.pack("!H", c) + l4[18:]


def udp_dgram(src, dst, sport, dport, bad):
    payload = b"skiff checksum test"
    l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    c = l4_csum(src, dst, 17, l4)
    c = (c or 0xFFFF) ^ (0x5A5A if bad else 0)
    return l4[:6] + struct.pack("!H", c) + l4[8:]


def answered(s, match):
    end = time.monotonic() + WAIT
    while time.monotonic() < end:
        s.settimeout(max(0.05, end - time.monotonic()))
        try:
            b, addr = s.recvfrom(1 << 16)
        except socket.timeout:
            break
        if addr[2] == PACKET_OUTGOING or len(b) < 34:
            continue
        if b[12:14] != b"\x08\x00":
            continue
        ip = b[14:]
        hl = (ip[0] & 15) * 4
        if match(ip[9], ip[hl:]):
            return True
    return False


def main():
    iface, guest_mac, src_ip, guest_ip, port = sys.argv[1:6]
    port = int(port)
    src = socket.inet_aton(src_ip)
    dst = socket.inet_aton(guest_ip)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    host_mac = s.getsockname()[4]
    eth = bytes.fromhex(guest_mac.replace(":", "")) + host_mac + b"\x08\x00"
    ok = True
    cases = [
        ("tcp", False, 41000), ("tcp", True, 41001),
        ("udp", False, 41002), ("udp", True, 41003),
    ]
    for proto, bad, sport in cases:
        if proto == "tcp":
            l4 = tcp_syn(src, dst, sport, port, bad)
            frame = eth + ip_packet(src, dst, 6, l4, sport)

            def match(p, l4, sport=sport):
                return (p == 6 and len(l4) >= 14 and
                        struct.unpack("!H", l4[2:4])[0] == sport and
                        l4[13] & 0x12 == 0x12)
            what = "SYN-ACK"
        else:
            # A closed port: the guest answers port unreachable, which
            # quotes our UDP header.
            l4 = udp_dgram(src, dst, sport, 9, bad)
            frame = eth + ip_packet(src, dst, 17, l4, sport)

            def match(p, l4, sport=sport):
                return (p == 1 and len(l4) >= 8 + 20 + 4 and
                        l4[0] == 3 and l4[1] == 3 and
                        struct.unpack("!H", l4[28:30])[0] == sport)
            what = "port unreachable"
        # Drain what came before, then send and watch.
        s.setblocking(False)
        try:
            while s.recv(1 << 16):
                pass
        except BlockingIOError:
            pass
        s.setblocking(True)
        s.send(frame)
        got = answered(s, match)
        good = got != bad
        ok &= good
        print(f"inject: {proto} {'bad' if bad else 'good'} checksum: "
              f"{what} {'seen' if got else 'not seen'} "
              f"({'as expected' if good else 'WRONG'})", flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
