#!/usr/bin/env python3
# A backend that reads headers as every WSGI application does (Python's
# standard-library wsgiref: "X_Auth_Subject" and "X-Auth-Subject" both
# become HTTP_X_AUTH_SUBJECT, several lines joined with ","), for
# tests/integration/57-headers-identity.t.  Answers every request with
# the JSON object of its HTTP_* environment, PATH_INFO and REMOTE_ADDR;
# a path ending in /slow waits 3 s first (threads: one per request).
#
#   python3 wsgi-headers.py PORT
import json
import sys
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIServer, WSGIRequestHandler, make_server


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def app(environ, start_response):
    if environ['PATH_INFO'].endswith('/slow'):
        time.sleep(3)
    seen = {k: v for k, v in environ.items() if k.startswith('HTTP_')}
    seen['PATH_INFO'] = environ['PATH_INFO']
    seen['REMOTE_ADDR'] = environ['REMOTE_ADDR']
    body = (json.dumps(seen, sort_keys=True) + '\n').encode()
    start_response('200 OK', [('Content-Type', 'application/json'),
                              ('Content-Length', str(len(body)))])
    return [body]


make_server('127.0.0.1', int(sys.argv[1]), app, server_class=Server,
            handler_class=Quiet).serve_forever()
