// An upstream that resolves dot segments the way WHATWG URL parsing does
// (new URL(req.url, base).pathname: "/a/../b" and "/a/%2e%2e/b" are
// "/b"), as many web frameworks do; it answers 200 JSON
// {raw, path, subject} for any path, so a test can see which path a
// request really reached and with which X-Auth-Subject.
// Usage: node normalizing-upstream.mjs PORT
import http from 'node:http';

const port = Number(process.argv[2]);
http.createServer((req, res) => {
	req.resume();
	req.on('end', () => {
		const path = new URL(req.url, 'http://upstream').pathname;
		res.writeHead(200, { 'Content-Type': 'application/json' });
		res.end(JSON.stringify({ raw: req.url, path,
		    subject: req.headers['x-auth-subject'] ?? null }));
	});
}).listen(port, '127.0.0.1');
