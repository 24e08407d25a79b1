#!/usr/bin/env python3
"""HTTP-level check of the echo server against what Go's server answers.

Each case sends raw bytes to the server at HOST:PORT and compares every
response with the one the Go program (gopl.io's echo server, Go 1.19)
gave to the same bytes, recorded in expected.json. Before comparing, both
sides are normalised: the Date value (checked for its form), the port in
RemoteAddr (the address is checked when --remote-addr-ip is given), and
the order of the Header[...] and Form[...] lines, which Go prints in
random map order. Content-Length is checked against the body, and
chunked bodies are decoded. Whether the server closed the connection
afterwards is part of the comparison.

Rule-coded checks follow: a 64 KiB+ head gets 431 (skiff's limit; Go's
is 1 MiB), an idle connection does not block others, and 200 parallel
clients are all answered, after which the server still answers.

  check.py --host 127.0.0.1 --port 8000 [--remote-addr-ip IP] [-k NAME]
  check.py --spawn build/apps/echo-server/echo-server-native
                    (starts it on a free loopback port, checks, stops it)
  check.py --record expected.json --port N     (against the Go server)

Exit status 0 when every check passed. Python 3 standard library only;
every socket operation has a timeout.
"""
import argparse
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

TIMEOUT = 10.0

FORM = b"Content-Type: application/x-www-form-urlencoded\r\n"


def req(line, *fields, body=b"", host=b"echo.test"):
    head = line + b"\r\n"
    if host is not None:
        head += b"Host: " + host + b"\r\n"
    for f in fields:
        head += f if f.endswith(b"\n") else f + b"\r\n"
    return head + b"\r\n" + body


def cl(body):
    return b"Content-Length: %d" % len(body)


BIG_HEADERS = [b"X-Pad-%03d: %s" % (i, b"v" * 40) for i in range(45)]

# name -> dict(send=bytes or list of bytes, n=responses, methods=[...],
# shutdown=bool, expect100=bool)
CASES = {
    "get_hello": dict(send=req(b"GET /hello HTTP/1.1",
                               b"User-Agent: curl/7.88.1", b"Accept: */*",
                               host=b"localhost:8000")),
    "query": dict(send=req(
        b"GET /search?q=go+lang&x=%41&x=2&empty=&noval&k%20y=v%2Bw HTTP/1.1")),
    "post_form": dict(send=req(
        b"POST /form?x=query&q=1 HTTP/1.1", FORM, cl(b"a=1&b=two+words&x=body"),
        body=b"a=1&b=two+words&x=body")),
    "put_form": dict(send=req(b"PUT /p HTTP/1.1", FORM, cl(b"k=v"), body=b"k=v")),
    "patch_form_mixed_case_type": dict(send=req(
        b"PATCH /p HTTP/1.1",
        b"Content-Type: Application/X-WWW-Form-URLEncoded ; charset=utf-8",
        cl(b"k=v"), body=b"k=v")),
    "delete_form_not_parsed": dict(send=req(
        b"DELETE /d?q=1 HTTP/1.1", FORM, cl(b"k=v"), body=b"k=v")),
    "post_text_plain": dict(send=req(
        b"POST /t HTTP/1.1", b"Content-Type: text/plain", cl(b"a=1"),
        body=b"a=1")),
    "post_bad_media_param": dict(send=req(
        b"POST /t HTTP/1.1",
        b"Content-Type: application/x-www-form-urlencoded; charset",
        cl(b"a=1"), body=b"a=1")),
    "post_dup_media_param": dict(send=req(
        b"POST /t HTTP/1.1",
        b"Content-Type: application/x-www-form-urlencoded; a=1; A=2",
        cl(b"a=1"), body=b"a=1")),
    "post_no_type": dict(send=req(b"POST /t?z=1 HTTP/1.1", cl(b"a=1"),
                                  body=b"a=1")),
    "custom_repeated_headers": dict(send=req(
        b"GET / HTTP/1.1", b"X-Custom: one", b"x-custom: two",
        b"X-CUSTOM:   three  ", b"x_under-score: u", b"content-TYPE: t/t",
        b"X-Empty:", b"Accept-Encoding: gzip, deflate", b": skipped",
        b"WWW-authenticate: w", b"x-1-2-3: n")),
    "utf8_ctrl_header": dict(send=req(
        b"GET / HTTP/1.1",
        "X-Utf8: h\u00e9llo \u2603 \U0001F600 \u4e2d\u6587".encode(),
        b"X-Tab: a\tb\t",
        b"X-Quote: say \"hi\" \\ back",
        b"X-Invalid: \x80\xff\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80",
        "X-Nonprint: \u200b\u00ad\ufeff\u2028\u0378\U000E0001\U0010FFFF"
        "\u00a0\u3000".encode(),
        "X-Print: \u0301e\u00a1\u00ff\ufffd\U0001F9FF\u1680".encode(),
        b"X-Truncated: \xe2\x82")),
    "keepalive_pipelined": dict(
        send=req(b"GET /one HTTP/1.1") + req(b"HEAD /two HTTP/1.1") +
        req(b"GET /three?x=3 HTTP/1.1"), n=3, methods=["GET", "HEAD", "GET"]),
    "head": dict(send=req(b"HEAD /h HTTP/1.1"), methods=["HEAD"]),
    "http10": dict(send=req(b"GET /ten HTTP/1.0", host=None)),
    "http10_keepalive": dict(
        send=req(b"GET /ten HTTP/1.0", b"Connection: keep-alive", host=None) +
        req(b"GET /again HTTP/1.0", b"Connection: Keep-Alive"), n=2),
    "http10_host_and_chunked_ignored": dict(send=req(
        b"POST /ten HTTP/1.0", FORM, b"Transfer-Encoding: chunked", cl(b"a=1"),
        body=b"a=1")),
    "connection_close": dict(send=req(b"GET /c HTTP/1.1",
                                      b"Connection: close")),
    "http12": dict(send=req(b"GET / HTTP/1.2")),
    "chunked_form": dict(send=req(
        b"POST /chunked?q=1 HTTP/1.1", FORM, b"Transfer-Encoding: chunked",
        b"Trailer: X-T",
        body=b"4;ext=1\r\na=1&\r\n6\r\nb=2&c=\r\n0\r\nX-T: v\r\n\r\n")),
    "chunked_then_next": dict(send=req(
        b"POST /c1 HTTP/1.1", FORM, b"Transfer-Encoding: chunked",
        body=b"3\r\na=1\r\n0\r\n\r\n") + req(b"GET /c2 HTTP/1.1"), n=2),
    "chunked_not_form": dict(send=req(
        b"POST /c HTTP/1.1", b"Transfer-Encoding: chunked",
        body=b"5\r\nhello\r\n0\r\n\r\n") + req(b"GET /after HTTP/1.1"), n=2),
    "chunked_bad_size": dict(send=req(
        b"POST /c HTTP/1.1", FORM, b"Transfer-Encoding: chunked",
        body=b"zz\r\nhello\r\n0\r\n\r\n")),
    "chunked_bad_trailer_key": dict(send=req(
        b"POST /c HTTP/1.1", FORM, b"Transfer-Encoding: chunked",
        b"Trailer: Content-Length", body=b"0\r\n\r\n")),
    "te_gzip": dict(send=req(b"POST / HTTP/1.1",
                             b"Transfer-Encoding: gzip, chunked")),
    "te_twice": dict(send=req(b"POST / HTTP/1.1", b"Transfer-Encoding: chunked",
                              b"Transfer-Encoding: chunked")),
    "cl_duplicate_equal": dict(send=req(
        b"GET /d HTTP/1.1", b"Content-Length: 3", b"Content-Length:  3",
        body=b"abc") + req(b"GET /next HTTP/1.1"), n=2),
    "cl_mismatch": dict(send=req(b"GET / HTTP/1.1", b"Content-Length: 3",
                                 b"Content-Length: 4", body=b"abcd")),
    "cl_bad": dict(send=req(b"GET / HTTP/1.1", b"Content-Length: +3",
                            body=b"abc")),
    "cl_empty": dict(send=req(b"GET / HTTP/1.1", b"Content-Length:")),
    "get_with_body": dict(send=req(b"GET /b?x=1 HTTP/1.1", FORM, cl(b"y=2"),
                                   body=b"y=2") + req(b"GET /n HTTP/1.1"), n=2),
    "malformed": dict(send=b"GARBAGE\r\n\r\n"),
    "malformed_method": dict(send=req(b"G(T / HTTP/1.1")),
    "lowercase_method": dict(send=req(b"get /x HTTP/1.1")),
    "double_space": dict(send=req(b"GET  / HTTP/1.1")),
    "no_colon": dict(send=req(b"GET / HTTP/1.1", b"NoColonHere")),
    "folded_first_line": dict(send=b"GET / HTTP/1.1\r\n Host: x\r\n\r\n"),
    "folded": dict(send=req(b"GET / HTTP/1.1", b"X-Fold: a", b"  b  ",
                            b"\tc", b"X-After: z")),
    "invalid_header_name": dict(send=req(b"GET / HTTP/1.1", b"Bad Name: x")),
    "invalid_header_value": dict(send=req(b"GET / HTTP/1.1",
                                          b"X-Ctl: a\x01b")),
    "bare_lf": dict(send=b"GET /lf HTTP/1.1\nHost: lf\nX-A: 1\n\n"),
    "missing_host": dict(send=req(b"GET / HTTP/1.1", host=None)),
    "two_hosts": dict(send=req(b"GET / HTTP/1.1", b"Host: other")),
    "bad_host": dict(send=req(b"GET / HTTP/1.1", host=b"a b")),
    "bad_version_20": dict(send=req(b"GET / HTTP/2.0")),
    "bad_version_09": dict(send=req(b"GET / HTTP/0.9")),
    "bad_version_form": dict(send=req(b"GET / HTTP/1.10")),
    "bad_version_proto": dict(send=req(b"GET / FOO/1.1")),
    "expect_other": dict(send=req(b"POST / HTTP/1.1", b"Expect: 200-ok",
                                  cl(b"a=1"), body=b"a=1")),
    "expect_continue": dict(send=[
        req(b"POST /e?q=1 HTTP/1.1", FORM, b"Expect: 100-continue",
            cl(b"a=1&b=2")), b"a=1&b=2"], expect100=True),
    "pragma_no_cache": dict(send=req(b"GET / HTTP/1.1", b"Pragma: no-cache")),
    "absolute_form": dict(send=req(
        b"GET http://Example.COM:8080/p/a%2Fb?q=1 HTTP/1.1", host=b"other")),
    "absolute_userinfo": dict(send=req(
        b"GET HTTP://us%65r:p%40ss@example.com/x HTTP/1.1")),
    "absolute_ipv6": dict(send=req(b"GET http://[::1]:80/v6 HTTP/1.1")),
    "absolute_no_path": dict(send=req(b"GET http://example.com HTTP/1.1")),
    "absolute_no_path_head": dict(send=req(b"HEAD http://example.com?x HTTP/1.1"),
                                  methods=["HEAD"]),
    "opaque": dict(send=req(b"GET mailto:someone?x=1 HTTP/1.1")),
    "redirect_dotdot": dict(send=req(b"GET /a/../b/./c/?x=1&y=\xc3\xa9 HTTP/1.1")),
    "redirect_slashes_post": dict(send=req(b"POST //a//b HTTP/1.1", cl(b""))),
    "redirect_quote": dict(send=req(b"GET /x/..%2F/<'\"&> HTTP/1.1")),
    "star_get": dict(send=req(b"GET * HTTP/1.1")),
    "star_options": dict(send=req(b"OPTIONS * HTTP/1.1") +
                         req(b"GET /next HTTP/1.1"), n=2),
    "connect_authority": dict(send=req(b"CONNECT example.com:443 HTTP/1.1",
                                       host=b"example.com:443")),
    "connect_path": dict(send=req(b"CONNECT /a/../b HTTP/1.1", host=None)),
    "path_escapes_kept": dict(send=req(b"GET /%41b%2fc!$&'()*+,;=:@[]~ HTTP/1.1")),
    "path_escapes_redone": dict(send=req(b"GET /%41%2F\"|^`{}#x HTTP/1.1")),
    "path_utf8": dict(send=req(b"GET /caf\xc3\xa9/\xff?q=\xc3\xa9&r=%C3%A9 HTTP/1.1")),
    "path_colon": dict(send=req(b"GET /a:b/c?%zz=1 HTTP/1.1")),
    "path_bad_escape": dict(send=req(b"GET /%zz HTTP/1.1")),
    "path_nul_escape": dict(send=req(b"GET /a%00b?k=%00 HTTP/1.1")),
    "empty_query": dict(send=req(b"GET /q? HTTP/1.1")),
    "query_semicolon": dict(send=req(b"GET /?a=1;b=2&c=3 HTTP/1.1")),
    "query_bad_escape": dict(send=req(b"GET /?a=%zz&b=1&c=%4&%xy=v HTTP/1.1")),
    "query_plus_and_empty": dict(send=req(b"GET /?&&a+b=c+d&=e&f HTTP/1.1")),
    "form_and_query_order": dict(send=req(
        b"POST /?k=q1&k=q2 HTTP/1.1", FORM, cl(b"k=b1&k=b2&z"),
        body=b"k=b1&k=b2&z")),
    "form_body_semicolon": dict(send=req(
        b"POST /?q=%zz HTTP/1.1", FORM, cl(b"a=1;b=2&c=3"), body=b"a=1;b=2&c=3")),
    "sniff_gif": dict(send=req(b"GIF89a /x HTTP/1.1")),
    "sniff_bmp": dict(send=req(b"BMW /x HTTP/1.1")),
    "sniff_pdf": dict(send=req(b"%PDF- /x HTTP/1.1")),
    "sniff_eot": dict(send=req(b"GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaLP HTTP/1.1")),
    "large_chunked": dict(send=req(b"GET /large HTTP/1.1", *BIG_HEADERS)),
    "large_http10": dict(send=req(b"GET /large HTTP/1.0", *BIG_HEADERS)),
    "large_head": dict(send=req(b"HEAD /large HTTP/1.1", *BIG_HEADERS),
                       methods=["HEAD"]),
    "large_prefix_form": dict(send=req(
        b"POST /large HTTP/1.1", FORM, cl(b"a=1"), *BIG_HEADERS, body=b"a=1")),
    "leading_crlf": dict(send=b"\r\n" + req(b"GET / HTTP/1.1")),
    "crlf_after_post": dict(send=req(b"POST /p HTTP/1.1", cl(b"")) + b"\r\n" +
                            req(b"GET /g HTTP/1.1"), n=2),
    "eof_in_head": dict(send=b"GET / HTTP/1.1\r\nHost: x\r\n", shutdown=True),
    "eof_in_line": dict(send=b"GET / HTTP/1.1", shutdown=True),
    "eof_in_body": dict(send=req(b"POST / HTTP/1.1", FORM, cl(b"a=1&b=2"),
                                 body=b"a=1"), shutdown=True),
    "pri_h2": dict(send=b"PRI * HTTP/2.0\r\n\r\n"),
    "header_too_large_go": dict(send=req(
        b"GET / HTTP/1.1", *[b"X-Big-%d: %s" % (i, b"x" * 1000)
                             for i in range(1100)])),
}


# --- talking to the server -------------------------------------------

class Conn:
    def __init__(self, host, port, timeout=TIMEOUT):
        self.s = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def more(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError
        self.buf += d

    def line(self):
        while b"\n" not in self.buf:
            self.more()
        i = self.buf.index(b"\n") + 1
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def take(self, n):
        while len(self.buf) < n:
            self.more()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self, method="GET"):
        """One response as (status line, [(name, value)], body, chunked)."""
        status = self.line().rstrip(b"\r\n")
        fields = []
        while True:
            ln = self.line().rstrip(b"\r\n")
            if not ln:
                break
            k, _, v = ln.partition(b":")
            fields.append((k.decode("latin-1"), v.strip().decode("latin-1")))
        code = int(status.split()[1])
        names = {k.lower(): v for k, v in fields}
        chunked = names.get("transfer-encoding") == "chunked"
        if method == "HEAD" or code in (204, 304) or code < 200:
            body = b""
        elif chunked:
            body = b""
            while True:
                size = int(self.line().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.line().strip():
                        pass
                    break
                body += self.take(size)
                self.take(2)
        elif "content-length" in names:
            body = self.take(int(names["content-length"]))
        else:
            try:
                while True:
                    self.more()
            except (EOFError, ConnectionResetError):
                pass
            body, self.buf = self.buf, b""
        return status.decode("latin-1"), fields, body

    def closed(self, wait=0.3):
        """True if the server closes the connection within 'wait' s."""
        if self.buf:
            return False
        self.s.settimeout(wait)
        try:
            return self.s.recv(1) == b""
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
        finally:
            self.s.settimeout(TIMEOUT)

    def close(self):
        self.s.close()


DATE_RE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d "
                     r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                     r"\d{4} \d\d:\d\d:\d\d GMT$")


def normalise(status, fields, body, remote_ip, problems):
    """A comparable text form of one response."""
    out = [status]
    for k, v in fields:
        if k == "Date":
            if not DATE_RE.match(v):
                problems.append("bad Date: %r" % v)
            v = "<date>"
        elif k == "Content-Length" and v != "0":
            # It counts the RemoteAddr port's digits; a HEAD reply has
            # no body to count.
            if body and v != str(len(body)):
                problems.append("Content-Length %s for %d bytes" %
                                (v, len(body)))
            v = "<len>"
        out.append("%s: %s" % (k, v))
    text = body.decode("latin-1")
    lines = text.split("\n")
    fixed, sets = [], {"Header[": [], "Form[": []}
    for ln in lines:
        m = re.match(r'^RemoteAddr = "([0-9.]+):(\d+)"$', ln)
        if m:
            if remote_ip and m.group(1) != remote_ip:
                problems.append("RemoteAddr %s, want %s" %
                                (m.group(1), remote_ip))
            ln = 'RemoteAddr = "<ip>:<port>"'
        for p in sets:
            if ln.startswith(p):
                sets[p].append(ln)
                ln = None
                break
        if ln is not None:
            if ln.startswith("Host = ") and sets["Header["]:
                fixed.extend(sorted(sets["Header["]))
                sets["Header["] = []
            fixed.append(ln)
    fixed.extend(sorted(sets["Header["]))
    if sets["Form["]:
        last = fixed.pop() if fixed and fixed[-1] == "" else None
        fixed.extend(sorted(sets["Form["]))
        if last is not None:
            fixed.append(last)
    out.append("")
    out.append("\n".join(fixed))
    return "\n".join(out)


def send_case(host, port, case):
    """Run one case; returns [normalisable responses], closed."""
    c = Conn(host, port)
    methods = case.get("methods") or ["GET"] * case.get("n", 1)
    got = []
    try:
        send = case["send"]
        if case.get("expect100"):
            # Like curl: wait a second for 100 Continue (or a final
            # answer), then send the body anyway.
            c.send(send[0])
            c.s.settimeout(1.0)
            try:
                c.more()
            except socket.timeout:
                pass
            c.s.settimeout(TIMEOUT)
            if c.buf:
                got.append(c.response())
            c.send(send[1])
        elif len(send) > 200000:
            # The server may answer and close before all is sent.
            def pump():
                try:
                    c.s.sendall(send)
                except OSError:
                    pass
            t = threading.Thread(target=pump, daemon=True)
            t.start()
        else:
            c.send(send)
            if case.get("shutdown"):
                c.s.shutdown(socket.SHUT_WR)
        for m in methods:
            try:
                got.append(c.response(m))
            except (EOFError, ConnectionResetError):
                got.append(None)
                break
        return got, c.closed()
    finally:
        c.close()


def run_case(host, port, case, remote_ip):
    problems = []
    got, closed = send_case(host, port, case)
    texts = [None if g is None else normalise(*g, remote_ip, problems)
             for g in got]
    return {"responses": texts, "closed": closed}, problems


# --- rule-coded checks -------------------------------------------------

def check_431(host, port):
    """64 KiB of header fields: skiff answers 431 (Go allows 1 MiB)."""
    c = Conn(host, port)
    try:
        c.send(req(b"GET / HTTP/1.1", *[b"X-Big-%d: %s" % (i, b"x" * 1000)
                                        for i in range(70)]))
        status, fields, body = c.response()
        want = "HTTP/1.1 431 Request Header Fields Too Large"
        if status != want or body != b"431 Request Header Fields Too Large":
            return "got %r %r" % (status, body)
    finally:
        c.close()
    return None


def check_idle(host, port):
    """A client that sends half a request holds nobody else up."""
    idle = Conn(host, port)
    try:
        idle.send(b"GET / HTTP/1.1\r\nHost: slow\r\n")
        t0 = time.monotonic()
        c = Conn(host, port)
        c.send(req(b"GET /while-idle HTTP/1.1", b"Connection: close"))
        status, _, body = c.response()
        c.close()
        if not status.startswith("HTTP/1.1 200") or time.monotonic() - t0 > 5:
            return "answer %r after %.1f s" % (status, time.monotonic() - t0)
    finally:
        idle.close()
    return None


def check_parallel(host, port, n=200):
    """n clients at once on their own connections, all answered."""
    errors = []
    barrier = threading.Barrier(n)

    def one(i):
        try:
            # QEMU's user network accepts from a listen queue of one: a
            # SYN it drops is sent again after 1, 3, 7, 15 s by the
            # host's TCP, so connects get the time of four tries.
            c = Conn(host, port, timeout=max(TIMEOUT, 30))
            barrier.wait(timeout=60)
            c.send(req(b"GET /p/%d?i=%d HTTP/1.1" % (i, i)))
            status, _, body = c.response()
            c.close()
            if (not status.startswith("HTTP/1.1 200") or
                    (b'Form["i"] = ["%d"]' % i) not in body):
                errors.append("client %d: %r" % (i, status))
        except Exception as e:  # noqa: BLE001 - report any failure
            errors.append("client %d: %r" % (i, e))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    if errors:
        return "%d of %d failed, first: %s" % (len(errors), n, errors[0])
    c = Conn(host, port)
    c.send(req(b"GET /after HTTP/1.1"))
    status, _, _ = c.response()
    c.close()
    return None if status.startswith("HTTP/1.1 200") else "after: " + status


def spawn_and_check(a):
    """Start the server on a free port, run this script against it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    srv = subprocess.Popen([a.spawn, str(port)], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 1).close()
                break
            except OSError:
                if srv.poll() is not None or time.monotonic() > deadline:
                    print("FAIL the server did not start")
                    return 1
                time.sleep(0.05)
        args = [sys.executable, os.path.abspath(__file__), "--host",
                "127.0.0.1", "--port", str(port), "--expected", a.expected]
        if a.remote_addr_ip:
            args += ["--remote-addr-ip", a.remote_addr_ip]
        for name in a.only or []:
            args += ["-k", name]
        if a.no_rules:
            args.append("--no-rules")
        return subprocess.run(args, timeout=170).returncode
    finally:
        srv.terminate()
        try:
            srv.wait(5)
        except subprocess.TimeoutExpired:
            srv.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int)
    ap.add_argument("--spawn", metavar="SERVER",
                    help="run this server binary on a free port and check it")
    ap.add_argument("--remote-addr-ip", default=None,
                    help="the address the server should see for us")
    ap.add_argument("--expected", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "expected.json"))
    ap.add_argument("--record", metavar="FILE",
                    help="write the server's responses to FILE instead")
    ap.add_argument("-k", dest="only", action="append",
                    help="run only the named case (repeatable)")
    ap.add_argument("--no-rules", action="store_true",
                    help="skip the rule-coded checks")
    a = ap.parse_args()
    socket.setdefaulttimeout(TIMEOUT)

    if a.spawn:
        return spawn_and_check(a)
    if a.port is None:
        ap.error("--port or --spawn is needed")
    names = a.only or list(CASES)
    if a.record:
        rec = {}
        for name in names:
            rec[name], _ = run_case(a.host, a.port, CASES[name], None)
        with open(a.record, "w") as f:
            json.dump(rec, f, indent=1, sort_keys=True)
            f.write("\n")
        print("recorded %d cases in %s" % (len(rec), a.record))
        return 0

    with open(a.expected) as f:
        expected = json.load(f)
    failed = total = 0
    for name in names:
        total += 1
        try:
            got, problems = run_case(a.host, a.port, CASES[name],
                                     a.remote_addr_ip)
        except Exception as e:  # noqa: BLE001 - report, go on
            got, problems = None, ["%r" % e]
        if got != expected.get(name):
            problems.append("differs from Go:\n--- want\n%s\n--- got\n%s" % (
                json.dumps(expected.get(name), indent=1),
                json.dumps(got, indent=1)))
        print("%s %s" % ("ok  " if not problems else "FAIL", name))
        for p in problems:
            print("    " + p.replace("\n", "\n    "))
        failed += bool(problems)
    if not a.no_rules and not a.only:
        for name, fn in [("431 beyond 64 KiB", check_431),
                         ("idle client", check_idle),
                         ("200 parallel clients", check_parallel)]:
            try:
                err = fn(a.host, a.port)
            except Exception as e:  # noqa: BLE001 - report, go on
                err = "%r" % e
            print("%s %s%s" % ("ok  " if not err else "FAIL", name,
                               "" if not err else ": " + err))
            failed += bool(err)
            total += 1
    print("%d of %d checks failed" % (failed, total) if failed else
          "all %d checks passed" % total)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
