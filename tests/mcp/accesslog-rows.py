#!/usr/bin/env python3
"""Hostile requests against two proxies that differ only in
access_log_format (A: json, B: text); then every JSON line must parse
with the json module, stay under the line bound, and carry the same
fields as the text line of the same request; and the backend must see
the request id (the client's when well-formed, else one the proxy made).

usage: accesslog-rows.py PORT_A PORT_B LOG_A LOG_B TOKEN_HOSTILE TOKEN_CTRL
Prints one "ok - ..." line per check; exits 1 on the first failure.
"""
import json
import re
import socket
import sys
import time

LINE_MAX = 960
pa, pb, loga, logb, tok_hostile, tok_ctrl = sys.argv[1:7]
pa, pb = int(pa), int(pb)


def fail(msg):
    print("not ok - " + msg)
    sys.exit(1)


def send(port, raw):
    """Send raw bytes, read until the proxy closes; return the answer."""
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.sendall(raw.replace(b"@HOST@", b"127.0.0.1:%d" % port, 1))
    out = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    s.close()
    return out


def req(method, path, headers=(), body=b""):
    h = b"%s %s HTTP/1.1\r\nHost: @HOST@\r\nConnection: close\r\n" % (
        method, path)
    for k, v in headers:
        h += k + b": " + v + b"\r\n"
    if body:
        h += b"Content-Type: application/json\r\n"
        h += b"Accept: application/json, text/event-stream\r\n"
        h += b"Content-Length: %d\r\n" % len(body)
    return h + b"\r\n" + body


def rpc(method, tool):
    return (b'{"jsonrpc":"2.0","id":1,"method":"' + method +
            b'","params":{"name":"' + tool + b'","arguments":{}}}')


# name, raw request, the X-Request-Id the backend must see (None: a
# generated one; "-": the request never reaches the backend)
rows = [
    ("plain", req(b"GET", b"/api/plain"), None),
    ("well-formed id", req(b"GET", b"/api/id",
        [(b"X-Request-Id", b"row-7.abc:def")]), "row-7.abc:def"),
    ("id with a quote", req(b"GET", b"/api/id",
        [(b"X-Request-Id", b'bad"id')]), None),
    ("id with a space", req(b"GET", b"/api/id",
        [(b"X-Request-Id", b"bad id")]), None),
    ("id too long", req(b"GET", b"/api/id",
        [(b"X-Request-Id", b"x" * 65)]), None),
    ("id non-ASCII", req(b"GET", b"/api/id",
        [(b"X-Request-Id", b"caf\xc3\xa9")]), None),
    ("two ids", req(b"GET", b"/api/id",
        [(b"X-Request-Id", b"one"), (b"X-Request-Id", b"two")]), None),
    ("percent-encoded hostile path",
        req(b"GET", b"/api/a%22b%FF%fe%C3%28%E2%82%22"), None),
    ("raw quote, backslash, bytes in path",
        req(b"GET", b'/api/a"b\\c\xff\x01'), "-"),
    ("raw control byte in path", req(b"GET", b"/api/a\x7fb\x1b[31m"), "-"),
    ("long hostile path", req(b"GET", b"/api/" + b"%FF" * 1200), None),
    ("hostile tool", req(b"POST", b"/api/mcp", body=rpc(
        b"tools/call",
        b'a\\"b\\\\c \\u0001\\n\\t\xff\xfe\xc3(\xe2\x82 caf\xc3\xa9=x')),
        None),
    ("hostile method", req(b"POST", b"/api/mcp", body=rpc(
        b'to\\"ols\\\\call\xff', b"echo")), None),
    ("NUL and surrogate in tool", req(b"POST", b"/api/mcp", body=rpc(
        b"tools/call", b"x\\u0000y\\ud800z\\ud83d\\ude00")), None),
    ("long hostile tool", req(b"POST", b"/api/mcp", body=rpc(
        b"tools/call", b"\\u0001" * 500)), None),
    ("hostile subject (token)", req(b"POST", b"/sec/mcp",
        [(b"Authorization", b"Bearer " + tok_hostile.encode())],
        body=rpc(b"tools/call", b"echo")), None),
    ("control byte in subject (token)", req(b"POST", b"/sec/mcp",
        [(b"Authorization", b"Bearer " + tok_ctrl.encode())],
        body=rpc(b"tools/call", b"echo")), "-"),
    ("session id", req(b"GET", b"/api/s",
        [(b"Mcp-Session-Id", b"sess\"ion")]), None),
]

TEXT = re.compile(r'^(\S+) (\S+) "(\S+) (\S+)" (-?\d+) (\d+) (\d+\.\d{3}) '
                  r'id=(\S+) upstream=(\S+) rpc=(\S+) tool=(\S+) '
                  r'authz=(\S+) session=(\S+) sub=(\S+)$')
FIELDS = ["time", "request_id", "client", "method", "path", "status",
          "bytes", "duration", "upstream", "rpc", "tool", "authz", "session",
          "sub"]


def unescape(v):
    """A text-format field as the JSON format gives it."""
    if v == "-":
        return None
    raw = re.sub(rb"\\x([0-9a-f]{2})",
                 lambda m: bytes([int(m.group(1), 16)]), v.encode())
    return raw.decode("utf-8", "replace")


def lines(path, n):
    for _ in range(100):
        with open(path, "rb") as f:
            got = f.read().split(b"\n")[:-1]
        if len(got) >= n:
            return got
        time.sleep(0.1)
    fail("%s: %d lines, want %d" % (path, len(got), n))


failed = 0


def bad(msg):
    """A row failed: say so, go on with the next (continue follows)."""
    global failed
    print("not ok - " + msg)
    failed += 1


seen = []
for name, raw, want in rows:
    answers = [send(pa, raw), send(pb, raw)]
    ids = []
    for ans in answers:
        body = ans.split(b"\r\n\r\n", 1)[-1]
        body = body[body.find(b"{"):body.rfind(b"}") + 1]  # chunked
        try:
            ids.append(json.loads(body)["headers"].get("x-request-id"))
        except (ValueError, KeyError, TypeError):
            ids.append("-")
    if want is not None and ids != [want, want]:
        bad("%s: the backend saw X-Request-Id %r, want %r" %
            (name, ids, want))
    if want is None and any(i in (None, "-") or
                            not re.fullmatch(r"[0-9a-f]{16}-[0-9a-f]+", i)
                            for i in ids):
        bad("%s: the backend saw %r, want a generated id" % (name, ids))
    seen.append((name, ids))
if not failed:
    print("ok - %d rows: the backend saw the well-formed client id, else "
          "a generated one" % len(rows))

ja = lines(loga, len(rows))
tb = lines(logb, len(rows))
for i, (name, ids) in enumerate(seen):
    if len(ja[i]) + 1 > LINE_MAX or len(tb[i]) + 1 > LINE_MAX:
        bad("%s: line of %d/%d bytes" % (name, len(ja[i]), len(tb[i])))
        continue
    try:
        j = json.loads(ja[i].decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        bad("%s: JSON line does not parse (%s): %r" % (name, e, ja[i]))
        continue
    if list(j.keys()) != FIELDS:
        bad("%s: JSON keys %s" % (name, list(j.keys())))
        continue
    try:
        m = TEXT.match(tb[i].decode("ascii"))
    except UnicodeDecodeError:
        m = None
    if m is None:
        bad("%s: text line not in the format: %r" % (name, tb[i]))
        continue
    t = dict(zip(["time", "client", "method", "path", "status", "bytes",
                  "duration", "request_id", "upstream", "rpc", "tool",
                  "authz", "session", "sub"], m.groups()))
    for k in ("client", "method", "path", "rpc", "tool", "session", "sub",
              "upstream"):
        a, b = unescape(t[k]), j[k]
        if a != b and not (a and b and len(b) > 8 and len(a) > 8 and (
                a.rstrip("\ufffd").startswith(b.rstrip("\ufffd")) or
                b.rstrip("\ufffd").startswith(a.rstrip("\ufffd")))):
            # a long field is cut at its budget: one is the other's prefix
            bad("%s: %s: text %r, json %r" % (name, k, t[k], j[k]))
            break
    else:
        k = None
    if k is not None:
        continue
    if int(t["status"]) != j["status"] or int(t["bytes"]) != j["bytes"]:
        bad("%s: status/bytes differ" % name)
        continue
    if ids[0] not in (None, "-") and (j["request_id"] != ids[0] or
                                      t["request_id"] != ids[1]):
        bad("%s: logged ids %s %s, backend saw %s" %
             (name, j["request_id"], t["request_id"], ids))
        continue
    print("ok - %s: JSON parses, fields match the text line (tool %r, "
          "sub %r, path %r)" % (name, j["tool"], j["sub"],
                                (j["path"] or "")[:40]))
if failed:
    print("%d of %d rows failed" % (failed, len(seen)))
    sys.exit(1)
