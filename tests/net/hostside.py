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
