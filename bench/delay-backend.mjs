// bench/delay-backend.mjs PORT DELAY_MS: answers every request on
// 127.0.0.1:PORT with a small JSON-RPC result after DELAY_MS, to check
// bench/openloop (bench/openloop-check): with C connections its capacity
// is C * 1000 / DELAY_MS requests a second.
import http from 'node:http';

const [port, delay] = process.argv.slice(2).map(Number);
const body = '{"jsonrpc":"2.0","id":1,"result":{}}';
const server = http.createServer((req, res) => {
	req.resume();
	req.on('end', () => setTimeout(() => {
		res.writeHead(200, { 'Content-Type': 'application/json',
		    'Content-Length': body.length });
		res.end(body);
	}, delay));
});
server.keepAliveTimeout = 0;
server.listen(port, '127.0.0.1');
