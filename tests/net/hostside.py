#!/usr/bin/env python3
"""The host's side of the network tests: on loopback for tests/net/run.sh,
in a network namespace of its own for tests/net/gce.sh (--host). Every
mode is bounded in bytes and in time.

  [--host ADDR] MODE ...  the address to listen on or connect to
                          (default 127.0.0.1)
  sink PORT PORTFILE      accept one connection, count the bytes until
                          EOF, answer the count (on SIGTERM, print it)
  echo PORT BYTES         send BYTES pseudo-random bytes to a guest echo
                          server and check that the same bytes come back
  many PORT N             N connections open at once, each echoing
  quit PORT               tell the guest's server to stop
  link QMPSOCK DEV up|down  set a NIC's link through QEMU's QMP socket
  frames IFACE SECONDS [PCAP]
                          watch the Ethernet frames on IFACE (a tap: out
                          is to the guest, in from it) until SIGTERM or
                          SECONDS, then print the largest of each way;
                          with PCAP, also write their first 128 bytes
                          there (a pcap file, for tshark)
  inject IFACE DSTMAC KIND COUNT SRCIP
                          send COUNT raw Ethernet frames of one KIND to
                          DSTMAC on IFACE (a tap: the guest's side), as
                          from SRCIP to --host, then count for a moment
                          the guest's answers (echo replies or SYN-ACKs)
                          to them. Kinds: ping (good echo requests),
                          big:N (an echo request in an N-byte frame),
                          runt:N (an N-byte frame, 14 <= N < 60, IPv4
                          type, header cut short), ipsum (bad IPv4
                          header checksum), iplen (total length past the
                          frame's end), ihl (header length 16), syn:PORT
                          (good SYN), tcpsum:PORT (SYN with a bad TCP
                          checksum), burst (echo requests back to back)
"""
import hashlib
import selectors
import signal
import socket
import struct
import sys
import time

DEADLINE = 300
STALL = 30  # seconds with nothing sent or received
HOST = "127.0.0.1"


def connect(port, tries=100):
    for _ in range(tries):
        try:
            return socket.create_connection((HOST, port), timeout=30)
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"hostside: cannot connect to {HOST}:{port}")


def sink(port, portfile):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((HOST, port))
    ls.listen(1)
    ls.settimeout(DEADLINE)
    with open(portfile, "w") as f:
        f.write(str(ls.getsockname()[1]))
    c, _ = ls.accept()
    c.settimeout(60)
    total = 0

    def stopped(*_):
        print(f"hostside: sink stopped at {total} bytes", flush=True)
        sys.exit(1)

    signal.signal(signal.SIGTERM, stopped)
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        total += len(b)
    c.sendall(f"{total}\n".encode())
    c.close()
    print(f"hostside: sink counted {total} bytes")


def echo(port, nbytes):
    s = connect(port)
    s.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    seed = hashlib.sha256(b"skiff").digest()
    sent_hash, got_hash = hashlib.sha256(), hashlib.sha256()
    sent = got = 0
    chunk = b""
    start = last = time.monotonic()
    while got < nbytes:
        now = time.monotonic()
        if now - start > DEADLINE or now - last > STALL:
            raise SystemExit(f"hostside: echo stalled at {got} of {nbytes} "
                             f"bytes back ({sent} sent), nothing for "
                             f"{now - last:.0f} s")
        for key, ev in sel.select(timeout=5):
            last = time.monotonic()
            if ev & selectors.EVENT_WRITE and sent < nbytes:
                if not chunk:
                    seed = hashlib.sha256(seed).digest()
                    chunk = (seed * 2048)[: min(65536, nbytes - sent)]
                n = s.send(chunk)
                sent_hash.update(chunk[:n])
                chunk = chunk[n:]
                sent += n
                if sent >= nbytes:
                    sel.modify(s, selectors.EVENT_READ)
            if ev & selectors.EVENT_READ:
                b = s.recv(1 << 16)
                if not b:
                    raise SystemExit(f"hostside: echo closed at {got} bytes")
                got_hash.update(b)
                got += len(b)
    s.close()
    secs = time.monotonic() - start
    same = sent_hash.hexdigest() == got_hash.hexdigest()
    print(f"hostside: echo {got} bytes in {secs:.1f} s, "
          f"sha256 {'match' if same else 'MISMATCH'}")
    sys.exit(0 if same else 1)


def recv_line(s, want):
    got = b""
    while len(got) < len(want):
        b = s.recv(len(want) - len(got))
        if not b:
            break
        got += b
    return got


def many(port, n):
    """Open N connections and keep them all open, then send on all of them
    at once and read every echo. Each connection is opened only after the
    one before it has echoed a greeting: QEMU's user network accepts from
    a listen queue of one, and a client that connects faster than it
    accepts sees SYNs dropped and retried a second later."""
    start = time.monotonic()
    socks = []
    for i in range(n):
        s = connect(port)
        hello = f"hello {i}\n".encode()
        s.sendall(hello)
        if recv_line(s, hello) != hello:
            raise SystemExit(f"hostside: connection {i} of {n} not echoed")
        socks.append(s)
    opened = time.monotonic() - start
    for i, s in enumerate(socks):
        s.sendall(f"connection {i}\n".encode())
    ok = 0
    for i, s in enumerate(socks):
        want = f"connection {i}\n".encode()
        ok += recv_line(s, want) == want
    for s in socks:
        s.close()
    print(f"hostside: {ok} of {n} concurrent connections echoed "
          f"(opened in {opened:.1f} s, all in {time.monotonic() - start:.1f} s)")
    sys.exit(0 if ok == n else 1)


def quit_(port):
    s = connect(port)
    s.sendall(b"quit\n")
    s.close()


def link(path, dev, state):
    import json
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(path)
    f = s.makefile("rw")

    def call(cmd, **args):
        f.write(json.dumps({"execute": cmd, "arguments": args}) + "\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "return" in r:
                return
            if "error" in r:
                raise SystemExit(f"hostside: {cmd}: {r['error']['desc']}")

    json.loads(f.readline())  # the greeting
    call("qmp_capabilities")
    call("set_link", name=dev, up=(state == "up"))
    s.close()
def frames(iface, seconds, pcap=None):
    eth_p_all, packet_outgoing, snap = 0x0003, 4, 128
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(eth_p_all))
    s.bind((iface, 0))
    s.settimeout(0.5)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    big = {"in": 0, "out": 0}
    count = {"in": 0, "out": 0}
    end = time.monotonic() + seconds
    out = open(pcap, "wb") if pcap else None
    if out:
        out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, snap, 1))
    print(f"hostside: watching {iface}", flush=True)
    while not stop and time.monotonic() < end:
        try:
            b, addr = s.recvfrom(1 << 16)
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        way = "out" if addr[2] == packet_outgoing else "in"
        count[way] += 1
        big[way] = max(big[way], len(b))
        if out:
            t = time.time()
            out.write(struct.pack("<IIII", int(t), int(t % 1 * 1e6),
                                  min(len(b), snap), len(b)))
            out.write(b[:snap])
    if out:
        out.close()
    print(f"hostside: frames on {iface}: largest in {big['in']} "
          f"out {big['out']} bytes ({count['in']} in, {count['out']} out)")


def inet_sum(b):
    if len(b) % 2:
        b += b"\0"
    total = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ipv4(src, dst, proto, payload, ident, bad_sum=False, total=None,
         ihl=5):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0,
                      20 + len(payload) if total is None else total,
                      ident, 0, 64, proto, 0, src, dst)
    csum = inet_sum(hdr)
    if bad_sum:
        csum ^= 0x5A5A
    return hdr[:10] + struct.pack("!H", csum) + hdr[12:] + payload


def icmp_echo(ident, seq, size):
    data = bytes(i & 0xFF for i in range(max(size, 0)))
    msg = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    return msg[:2] + struct.pack("!H", inet_sum(msg)) + msg[4:]


def tcp_syn(src, dst, sport, dport, bad_sum=False):
    seg = struct.pack("!HHIIBBHHH", sport, dport, 0x5EED0000 + sport, 0,
                      5 << 4, 0x02, 65535, 0, 0)
    pseudo = struct.pack("!4s4sBBH", src, dst, 0, 6, len(seg))
    csum = inet_sum(pseudo + seg)
    if bad_sum:
        csum ^= 0x5A5A
    return seg[:16] + struct.pack("!H", csum) + seg[18:]


def inject_frames(kind, count, dst, src, sip, guest, ident):
    """The frames of one KIND, and what answers them: ("icmp", ident)
    for echo replies, ("tcp", ports) for SYN-ACKs."""
    eth = dst + src + b"\x08\x00"
    name, _, arg = kind.partition(":")
    out = []
    if name == "big":
        size = int(arg)
        for seq in range(count):
            out.append(eth + ipv4(sip, guest, 1, icmp_echo(
                ident, seq, size - 14 - 28), ident + seq))
        return out, ("icmp", ident)
    if name == "runt":
        size = int(arg)
        if not 14 <= size < 60:
            raise SystemExit("hostside: inject runt:N needs 14 <= N < 60")
        ip = ipv4(sip, guest, 1, icmp_echo(ident, 0, 8), ident)
        return [(eth + ip)[:size]] * count, ("icmp", ident)
    if name in ("syn", "tcpsum"):
        port = int(arg)
        sports = [20000 + (ident + i) % 40000 for i in range(count)]
        for sport in sports:
            seg = tcp_syn(sip, guest, sport, port, name == "tcpsum")
            out.append(eth + ipv4(sip, guest, 6, seg, ident))
        return out, ("tcp", set(sports))
    if name not in ("ping", "burst", "ipsum", "iplen", "ihl"):
        raise SystemExit(f"hostside: inject: unknown kind {kind}")
    for seq in range(count):
        msg = icmp_echo(ident, seq, 56)
        if name == "ipsum":
            ip = ipv4(sip, guest, 1, msg, ident, bad_sum=True)
        elif name == "iplen":
            ip = ipv4(sip, guest, 1, msg, ident, total=20 + len(msg) + 200)
        elif name == "ihl":
            ip = ipv4(sip, guest, 1, msg, ident, ihl=4)
        else:
            ip = ipv4(sip, guest, 1, msg, ident)
        out.append(eth + ip)
    return out, ("icmp", ident)


def answer(b, guest, want):
    """Whether a frame from the guest answers one of ours."""
    if len(b) < 34 or b[12:14] != b"\x08\x00" or b[26:30] != guest:
        return False
    hl = (b[14] & 15) * 4
    l4 = b[14 + hl:]
    if want[0] == "icmp":
        return b[23] == 1 and len(l4) >= 8 and l4[0] == 0 and \
            struct.unpack("!H", l4[4:6])[0] == want[1]
    return b[23] == 6 and len(l4) >= 14 and (l4[13] & 0x12) == 0x12 and \
        struct.unpack("!H", l4[2:4])[0] in want[1]


def inject(iface, dstmac, kind, count, srcip):
    eth_p_all, packet_outgoing = 0x0003, 4
    sip = socket.inet_aton(srcip)
    guest = socket.inet_aton(HOST)
    dst = bytes.fromhex(dstmac.replace(":", ""))
    src = bytes.fromhex("020000000001")
    ident = int.from_bytes(hashlib.sha256(kind.encode()).digest()[:2],
                           "big") or 1
    if count < 1 or count > 10000:
        raise SystemExit("hostside: inject: COUNT is 1 to 10000")
    frames_, want = inject_frames(kind, count, dst, src, sip, guest, ident)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(eth_p_all))
    s.bind((iface, 0))
    s.setblocking(False)
    # Room for a burst's frames, which come back to this socket too, and
    # their answers; PACKET_STATISTICS says if some were missed anyway.
    so_rcvbufforce, sol_packet, packet_statistics = 33, 263, 6
    s.setsockopt(socket.SOL_SOCKET, so_rcvbufforce, 32 << 20)
    s.getsockopt(sol_packet, packet_statistics, 8)  # resets the counts
    sent = failed = answered = 0
    errors = set()
    end = time.monotonic() + 20

    def drain():
        nonlocal answered
        while True:
            try:
                b, addr = s.recvfrom(1 << 16)
            except (BlockingIOError, InterruptedError):
                return
            if addr[2] != packet_outgoing and answer(b, guest, want):
                answered += 1

    for f in frames_:
        for _ in range(100):
            try:
                s.send(f)
                sent += 1
                break
            except BlockingIOError:
                time.sleep(0.001)
            except OSError as e:
                errors.add(e.strerror)
                failed += 1
                break
        else:
            failed += 1
        if kind != "burst":
            time.sleep(0.02)
        drain()
        if time.monotonic() > end:
            break
    # Answers still on their way: a moment after the last one.
    quiet = time.monotonic() + (3 if kind == "burst" else 1.5)
    while time.monotonic() < min(quiet, end + 5):
        before = answered
        drain()
        if answered != before:
            quiet = max(quiet, time.monotonic() + 0.5)
        time.sleep(0.05)
    sizes = sorted({len(f) for f in frames_})
    size = f"{sizes[0]}" if len(sizes) == 1 else f"{sizes[0]}-{sizes[-1]}"
    why = f", {failed} not sent ({', '.join(sorted(errors))})" if failed \
        else ""
    _, missed = struct.unpack("II", s.getsockopt(sol_packet,
                                                 packet_statistics, 8))
    if missed:
        why += f", {missed} frames missed by the socket (answers uncounted)"
    print(f"hostside: inject {kind}: {sent} frames of {size} bytes sent"
          f"{why}, {answered} answered")


def main():
    global HOST
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "--host":
        HOST = args[1]
        args = args[2:]
    sys.argv[1:] = args
    if not args:
        raise SystemExit(__doc__)
    mode = sys.argv[1]
    if mode == "frames":
        frames(sys.argv[2], float(sys.argv[3]),
               sys.argv[4] if len(sys.argv) > 4 else None)
    elif mode == "inject":
        inject(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]),
               sys.argv[6])
    elif mode == "sink":
        sink(int(sys.argv[2]), sys.argv[3])
    elif mode == "echo":
        echo(int(sys.argv[2]), int(sys.argv[3]))
    elif mode == "many":
        many(int(sys.argv[2]), int(sys.argv[3]))
    elif mode == "link":
        link(sys.argv[2], sys.argv[3], sys.argv[4])
    elif mode == "quit":
        quit_(int(sys.argv[2]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
