// An https front for the proxy's https-upstream tests: node's https server
// relaying every request to an http server (server-everything, the echo
// upstream) on 127.0.0.1.  One line per TLS connection on stdout:
// "tls <version> reused=<true|false> sni=<name> client=<CN or ->".
// usage: node tls-front.mjs PORT TARGET_PORT CERT KEY [--ca CA
//        --require-client] [--close]
//   --require-client  ask for a client certificate signed by CA, refuse
//                     the connection without one
//   --close           Connection: close on every answer (a new TLS
//                     connection per request: resumption shows)
import https from 'node:https';
import http from 'node:http';
import fs from 'node:fs';

const [port, target, cert, key, ...rest] = process.argv.slice(2);
const opt = { cert: fs.readFileSync(cert), key: fs.readFileSync(key) };
let close = false;
for (let i = 0; i < rest.length; i++) {
	if (rest[i] === '--ca') opt.ca = fs.readFileSync(rest[++i]);
	else if (rest[i] === '--require-client') {
		opt.requestCert = true;
		opt.rejectUnauthorized = true;
	} else if (rest[i] === '--close') close = true;
}
const server = https.createServer(opt, (req, res) => {
	const up = http.request({ host: '127.0.0.1', port: Number(target),
	    method: req.method, path: req.url, headers: req.headers }, (ur) => {
		const h = { ...ur.headers };
		if (close) h.connection = 'close';
		res.writeHead(ur.statusCode, h);
		// node holds a head until the first body byte: an event
		// stream that stays idle must show its 200 at once
		res.flushHeaders();
		ur.pipe(res);
	});
	up.on('error', () => { res.writeHead(502); res.end(); });
	req.pipe(up);
});
server.on('secureConnection', (s) => {
	const pc = s.getPeerCertificate();
	console.log(`tls ${s.getProtocol()} reused=${s.isSessionReused()} ` +
	    `sni=${s.servername || '-'} client=${pc && pc.subject ? pc.subject.CN : '-'}`);
});
server.on('tlsClientError', (e) => console.log(`tls error ${e.code || e.message}`));
server.listen(Number(port), '127.0.0.1');
