#!/usr/bin/env python3
"""Wait until an HTTP server answers GET /hello with 200.

  http_wait.py HOST PORT SECONDS

Exits 0 as soon as it does, 1 when SECONDS pass first."""
import http.client
import sys
import time


def main():
    host, port, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            c = http.client.HTTPConnection(host, port, timeout=5)
            c.request("GET", "/hello")
            if c.getresponse().status == 200:
                return 0
        except OSError:
            pass
        time.sleep(0.2)
    return 1


if __name__ == "__main__":
    sys.exit(main())
