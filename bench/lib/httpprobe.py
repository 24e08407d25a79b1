#!/usr/bin/env python3
"""HTTP probes for bench/echo.sh, through QEMU's user network (hostfwd).

  httpprobe.py first200 --port P --go FILE --timeout S [--log FILE]
               [--mark NAME=REGEX]... [--interval S]
      Starts a new "GET /hello" connection every --interval seconds
      (default 0.015) until one is answered with 200, and prints
      "first200_ms=N": milliseconds since QEMU's start. The caller starts
      the probe first, waits for FILE.ready to appear (the interpreter
      is up), then starts QEMU and writes "T0 PID" to FILE: the wall
      clock time at which it started QEMU (bash's $EPOCHREALTIME) and
      QEMU's process id. So the probe's own start-up, which can take
      hundreds of ms on a loaded host, is not in the figures. QEMU's user
      network accepts the host's connection at once whether the guest
      listens or not, and retries its SYN to the guest on its own slow
      timer, so the probe does not wait for any one connection: each
      lives at most 1 s while new ones keep starting. With --log it also
      watches the serial log and prints "NAME_ms=N" for the first line
      matching each --mark. Exits 1 if no 200 came within --timeout
      seconds, or if process PID ended first. "listen_ms=N" is when
      the first connection was accepted: QEMU has set up its network
      (it does that before it creates the machine and starts the CPU).

  httpprobe.py parallel --port P --clients N --timeout S [--rounds R]
      Opens N connections, then sends "GET /hello" on each, so that all
      N are open in the server at once, and reads every answer; prints "ok=K of N" per round and exits 0 only
      if all N answers of every round were 200 within --timeout seconds.
"""
import argparse
import os
import re
import selectors
import socket
import sys
import time

REQUEST = b"GET /hello HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"


def alive(pid):
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Attempt:
    """One non-blocking GET /hello; done when the status line is in."""

    def __init__(self, sel, port):
        self.start = time.monotonic()
        self.buf = b""
        self.sent = False
        self.connected = False
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.sel = sel
        try:
            self.sock.connect_ex(("127.0.0.1", port))
        except OSError:
            pass
        sel.register(self.sock, selectors.EVENT_WRITE, self)

    def close(self):
        try:
            self.sel.unregister(self.sock)
        except (KeyError, ValueError):
            pass
        self.sock.close()

    def event(self):
        """Returns the status code once known, 0 on failure, None if pending."""
        if not self.sent:
            if self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                return 0
            self.connected = True
            try:
                self.sock.sendall(REQUEST)
            except OSError:
                return 0
            self.sent = True
            self.sel.modify(self.sock, selectors.EVENT_READ, self)
            return None
        try:
            data = self.sock.recv(4096)
        except OSError:
            return 0
        if not data:
            return 0
        self.buf += data
        if b"\r\n" in self.buf:
            m = re.match(rb"HTTP/1\.[01] (\d{3})", self.buf)
            return int(m.group(1)) if m else 0
        return None


def wait_go(a):
    """Signals readiness, then waits (bounded) for "T0 PID" in --go."""
    open(a.go + ".ready", "w").close()
    end = time.monotonic() + 60
    while time.monotonic() < end:
        try:
            with open(a.go) as f:
                parts = f.read().split()
            if len(parts) == 2:
                return float(parts[0]), int(parts[1])
        except (OSError, ValueError):
            pass
        time.sleep(0.001)
    raise SystemExit("first200: no start from the caller within 60 s")


def first200(a):
    a.t0, a.pid = wait_go(a)
    sel = selectors.DefaultSelector()
    marks = {}
    for m in a.mark:
        name, _, rx = m.partition("=")
        marks[name] = re.compile(rx.encode())
    seen = {}
    logbuf = b""
    logpos = 0
    attempts = []
    end = time.monotonic() + a.timeout
    next_start = 0.0
    listen_ms = None
    while time.monotonic() < end:
        now = time.monotonic()
        if now >= next_start:
            attempts.append(Attempt(sel, a.port))
            next_start = now + a.interval
        for key, _ in sel.select(timeout=0.002):
            att = key.data
            status = att.event()
            if att.connected and listen_ms is None:
                listen_ms = (time.time() - a.t0) * 1000
                print("listen_ms=%.0f" % listen_ms)
            if status is None:
                continue
            att.close()
            attempts.remove(att)
            if status == 200:
                ms = (time.time() - a.t0) * 1000
                print("first200_ms=%.0f" % ms)
                scan_log(a, marks, seen, logbuf, logpos, final=True)
                for att in attempts:
                    att.close()
                return 0
        for att in [x for x in attempts if now - x.start > 1.0]:
            att.close()
            attempts.remove(att)
        logbuf, logpos = scan_log(a, marks, seen, logbuf, logpos)
        if not alive(a.pid):
            print("first200: the VM ended first", file=sys.stderr)
            return 1
    print("first200: no 200 within %g s" % a.timeout, file=sys.stderr)
    return 1


def scan_log(a, marks, seen, buf, pos, final=False):
    """Reads what the serial log gained; prints NAME_ms for new marks."""
    if not a.log or len(seen) == len(marks):
        if final:
            for name in marks:
                if name not in seen:
                    print("%s_ms=n/a" % name)
        return buf, pos
    try:
        with open(a.log, "rb") as f:
            f.seek(pos)
            data = f.read()
    except OSError:
        data = b""
    now_ms = (time.time() - a.t0) * 1000
    pos += len(data)
    buf += data
    lines = buf.split(b"\n")
    buf = lines.pop()
    for line in lines:
        for name, rx in marks.items():
            if name not in seen and rx.search(line):
                seen[name] = now_ms
                print("%s_ms=%.0f" % (name, now_ms))
    if final:
        for name in marks:
            if name not in seen:
                print("%s_ms=n/a" % name)
    return buf, pos


def parallel(a):
    """QEMU's user network listens with a backlog of 1 on the host side:
    connections opened back to back overflow it, the host drops the SYN
    and retries it only after 1 s. So they are opened one after another,
    5 ms apart, which on this machine never overflowed; then every
    request goes out
    before any answer is read, so that all N are open in the guest at
    the same time."""
    ok_all = True
    for r in range(a.rounds):
        end = time.monotonic() + a.timeout
        socks = []
        ok = 0
        try:
            while len(socks) < a.clients:
                left = end - time.monotonic()
                if left <= 0:
                    raise OSError("connect: timed out after %d" % len(socks))
                socks.append(socket.create_connection(("127.0.0.1", a.port),
                                                      timeout=left))
                time.sleep(0.005)
            for s in socks:
                s.sendall(REQUEST)
            sel = selectors.DefaultSelector()
            bufs = {}
            for s in socks:
                s.setblocking(False)
                sel.register(s, selectors.EVENT_READ)
                bufs[s] = b""
            pending = len(socks)
            while pending and time.monotonic() < end:
                for key, _ in sel.select(timeout=0.1):
                    s = key.fileobj
                    try:
                        d = s.recv(4096)
                    except OSError:
                        d = b""
                    bufs[s] += d
                    if not d or b"\r\n" in bufs[s]:
                        sel.unregister(s)
                        pending -= 1
                        if re.match(rb"HTTP/1\.[01] 200", bufs[s]):
                            ok += 1
        except OSError as e:
            print("round %d: %s" % (r + 1, e), file=sys.stderr)
        for s in socks:
            s.close()
        print("ok=%d of %d" % (ok, a.clients))
        ok_all = ok_all and ok == a.clients
    return 0 if ok_all else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("first200")
    f.add_argument("--port", type=int, required=True)
    f.add_argument("--go", required=True)
    f.add_argument("--timeout", type=float, required=True)
    f.add_argument("--interval", type=float, default=0.015)
    f.add_argument("--log")
    f.add_argument("--mark", action="append", default=[])
    q = sub.add_parser("parallel")
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--clients", type=int, default=100)
    q.add_argument("--timeout", type=float, required=True)
    q.add_argument("--rounds", type=int, default=1)
    a = p.parse_args()
    return first200(a) if a.cmd == "first200" else parallel(a)


if __name__ == "__main__":
    sys.exit(main())
