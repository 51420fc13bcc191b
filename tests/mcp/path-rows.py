#!/usr/bin/env python3
# Differential rows for request targets (tests/integration/54-*.t):
# targets GENERATED from the protected route prefixes (each byte
# percent-encoded in upper and lower case hex, letter case varied, dot
# segments plain and encoded, doubled slashes, ';' and %3B params,
# trailing parts), each sent through the proxy with no token, a token
# without scope "admin" and one with it.  The backend (wsgi-echo.py)
# says which port it was reached on (the open route's or the protected
# routes') and the path it serves: PATH_INFO, percent-decoded.  A row
# fails when the backend served a path under a protected prefix, as
# any upstream may read it (ASCII case ignored, dots resolved or not,
# ";params" dropped or not), without that prefix's policy applied: not
# on the protected port, not with the token's subject, or for /admin
# without scope admin.
#
# With --spoof (first), every request also carries client identity
# headers (X-Auth-Subject, X_Auth_Subject, X-Auth-Scopes, X_Auth_Scopes
# naming "spoofed" and scope admin), and a row also fails when the
# backend saw any of them (issue 11, item 2).
#
# Usage: path-rows.py [--spoof] PROXY_URL OPEN_PORT PROT_PORT SUB
#        TOOLS_TOKEN ADMIN_TOKEN [PREFIX=SCOPE...]
#        (default /mcp= /admin=admin)
# Prints "not ok" per failing row and a summary line; exit 1 if any.
import http.client
import json
import posixpath
import re
import sys
import urllib.parse

spoof = len(sys.argv) > 1 and sys.argv[1] == '--spoof'
if spoof:
    del sys.argv[1]
proxy, open_port, prot_port, sub, tools, admin = sys.argv[1:7]
open_port, prot_port = int(open_port), int(prot_port)
prefixes = [a.split('=', 1) for a in sys.argv[7:]] or [['/mcp', ''],
                                                       ['/admin', 'admin']]
u = urllib.parse.urlsplit(proxy)


def forms(prefix):
    """Spellings of a prefix: escapes, case."""
    p = prefix[1:]
    out = [prefix]
    for i, ch in enumerate(p):
        for f in ('%%%02X', '%%%02x'):
            out.append('/' + p[:i] + f % ord(ch) + p[i + 1:])
        out.append('/' + p[:i] + ch.swapcase() + p[i + 1:])
    out.append('/' + ''.join('%%%02X' % ord(c) for c in p))
    out.append('/' + ''.join('%%%02x' % ord(c) for c in p))
    out.append('/' + p.upper())
    out.append('/' + '%%%02X' % ord(p[0].upper()) + p[1:])
    return out


def wrappers(base):
    """Dot, slash and ';' variants around one spelling."""
    b = base[1:]
    return [base, '/x/..' + base, '/.' + base, '/x/%2e%2e' + base,
            '/x/%2E%2E' + base, '/x/.%2e' + base, '/x/%2e.' + base,
            '/%2e' + base, '/x/./..' + base, '/x/y/../..' + base,
            '/x/..;' + base, '/x/..%3b' + base, '/x/..%3B' + base,
            '/x/..%2f' + b, '/x/..%5c' + b, '/x/..%252f' + b,
            '/x%2f..%2f' + b, '/' + base, '//' + base, base + '//',
            base + ';', base + ';x', base + ';jsessionid=1', base + '%3b',
            base + '%3Bx', base + ';/x', '/;x' + base, '/x;/..' + base,
            '/%25' + '%02X' % ord(b[0]) + b[1:], base + '/.', base + '/..',
            base + '%00', base + '%2f', base + '%2e', base + '.',
            base + '%20', base + '%3f', base + '%23', base + '\\',
            '/x/..\\' + b]


def rows():
    seen = []
    for prefix, _ in prefixes:
        fs = forms(prefix)
        for i, f in enumerate(fs):
            ws = wrappers(f) if i < 4 or f == '/' + prefix[1:].upper() \
                else [f]
            for w in ws:
                for tail in ('', '/x'):
                    t = w + tail
                    if t not in seen:
                        seen.append(t)
    return seen


def unparam(p):
    return re.sub(r';[^/]*', '', p)


def views(path):
    """Every way an upstream may read a decoded path."""
    out = set()
    for v in (path, unparam(path)):
        out.add(v)
        c = posixpath.normpath(v.replace('\\', '/')) if v else v
        if c.startswith('//'):
            c = '/' + c.lstrip('/')
        out.add(c)
        out.add(re.sub('/+', '/', v))
    return out


def protected(path):
    """The protected prefix (longest) a backend path is served under."""
    best = None
    for prefix, scope in prefixes:
        for v in views(path):
            lv = v.lower()
            if lv == prefix or lv.startswith(prefix + '/'):
                if best is None or len(prefix) > len(best[0]):
                    best = (prefix, scope)
    return best


def send(target, token):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        c.putrequest('GET', target, skip_accept_encoding=True)
        if token:
            c.putheader('Authorization', 'Bearer ' + token)
        if spoof:
            c.putheader('X-Auth-Subject', 'spoofed-dash')
            c.putheader('X_Auth_Subject', 'spoofed-underscore')
            c.putheader('X-Auth-Scopes', 'admin')
            c.putheader('X_Auth_Scopes', 'admin')
        c.endheaders()
        r = c.getresponse()
        body = r.read()
        return r.status, body
    finally:
        c.close()


bad = requests = reached = 0
badrows = set()
statuses = {}
rs = rows()
for n, t in enumerate(rs):
    for tname, token in (('none', None), ('tools', tools), ('admin', admin)):
        target = t + '?row=%d-%s' % (n, tname)
        requests += 1
        try:
            status, body = send(target, token)
        except (OSError, http.client.HTTPException) as e:
            print('not ok - %s (%s token): %s' % (t, tname, e))
            bad += 1
            badrows.add(t)
            continue
        statuses[status] = statuses.get(status, 0) + 1
        try:
            seen = json.loads(body) if status == 200 else None
        except ValueError:
            seen = None
        if not isinstance(seen, dict) or 'port' not in seen:
            continue
        reached += 1
        prot = protected(seen['path'])
        why = None
        scopes = re.split('[ ,]+', seen['scopes'] or '')
        if seen['port'] == prot_port and seen['subject'] != sub:
            why = 'protected port without the token subject'
        elif prot and seen['port'] != prot_port:
            why = 'served %s through the open route' % prot[0]
        elif prot and seen['subject'] != sub:
            why = 'served %s without the token subject' % prot[0]
        elif prot and prot[1] and prot[1] not in scopes:
            why = 'served %s without scope %s' % (prot[0], prot[1])
        elif spoof and 'spoofed' in (seen['subject'] or ''):
            why = 'client subject passed on: %r' % seen['subject']
        elif spoof and tname != 'admin' and 'admin' in scopes:
            why = 'client scopes passed on: %r' % seen['scopes']
        if why:
            bad += 1
            badrows.add(t)
            print('not ok - %s (%s token): backend saw %r on port %d: %s'
                  % (t, tname, seen['path'], seen['port'], why))
print('%d rows, %d requests, %d reached the backend, statuses %s, '
      '%d requests of %d rows failed' % (
          len(rs), requests, reached,
          ' '.join('%d:%d' % kv for kv in sorted(statuses.items())),
          bad, len(badrows)))
sys.exit(1 if bad else 0)
