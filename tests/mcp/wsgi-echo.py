#!/usr/bin/env python3
# A backend that reads requests as WSGI applications do (Flask, Django,
# and through them many MCP servers): Python's standard-library
# wsgiref server, which percent-decodes the whole path into PATH_INFO
# (once, as ISO-8859-1) and turns every header name's '-' and '_' into
# '_' (X_Auth_Subject and X-Auth-Subject are both HTTP_X_AUTH_SUBJECT).
# It answers 200 JSON {port, raw, path, query, subject, scopes,
# authorization} for any request: the port it was reached on, the
# request target as sent, PATH_INFO, QUERY_STRING and the identity
# headers as the application sees them, so a test can tell which route
# and policy a request came through and what the application served
# (tests/integration/54-canonical-differential.t).  The same object also
# holds every HTTP_* variable (several header lines joined with ","),
# PATH_INFO and REMOTE_ADDR, under those names
# (tests/integration/12-headers-identity.t); a path ending in /slow
# waits 3 s first (threads: one per request).
# Usage: wsgi-echo.py PORT...  (one listener per port, 127.0.0.1)
import json
import sys
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class Handler(WSGIRequestHandler):
    def get_environ(self):
        env = super().get_environ()
        env['echo.raw'] = self.path
        return env

    def log_message(self, fmt, *args):
        sys.stderr.write('%s %s\n' % (self.server.server_port, fmt % args))


def app(env, start):
    if env['PATH_INFO'].endswith('/slow'):
        time.sleep(3)
    seen = {
        'port': int(env['SERVER_PORT']),
        'raw': env['echo.raw'],
        'path': env['PATH_INFO'],
        'query': env['QUERY_STRING'],
        'subject': env.get('HTTP_X_AUTH_SUBJECT'),
        'scopes': env.get('HTTP_X_AUTH_SCOPES'),
        'authorization': 'HTTP_AUTHORIZATION' in env,
    }
    seen.update({k: v for k, v in env.items() if k.startswith('HTTP_')})
    seen['PATH_INFO'] = env['PATH_INFO']
    seen['REMOTE_ADDR'] = env['REMOTE_ADDR']
    body = (json.dumps(seen) + '\n').encode()
    start('200 OK', [('Content-Type', 'application/json'),
                     ('Content-Length', str(len(body)))])
    return [body]


servers = [make_server('127.0.0.1', int(p), app, server_class=Server,
                       handler_class=Handler) for p in sys.argv[1:]]
for s in servers[1:]:
    threading.Thread(target=s.serve_forever, daemon=True).start()
print('listening', ' '.join(sys.argv[1:]), flush=True)
servers[0].serve_forever()
