// Preload (node -r tests/loopback.cjs ...): force every TCP listen() of this
// process onto loopback.  server-everything calls app.listen(PORT) with no
// host, which would bind every interface; tests and the demo must not expose
// it.  LOOPBACK_HOST overrides the address (default 127.0.0.1).
'use strict';
const net = require('net');
const host = process.env.LOOPBACK_HOST || '127.0.0.1';
const orig = net.Server.prototype.listen;

function isPort(v) {
	return typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v));
}

net.Server.prototype.listen = function (...args) {
	const a0 = args[0];
	if (args.length === 0 || a0 === undefined || a0 === null ||
	    typeof a0 === 'function') {
		// listen() / listen(cb): random port
		args = [0, host, ...args.filter((x) => typeof x === 'function')];
	} else if (isPort(a0)) {
		// listen(port[, host][, backlog][, cb])
		if (typeof args[1] === 'string' || args[1] === undefined ||
		    args[1] === null)
			args[1] = host;
		else
			args.splice(1, 0, host);
	} else if (typeof a0 === 'object' && !a0.path && a0.fd === undefined &&
	    !a0._handle && !a0.handle) {
		// listen({port, host, ...}[, cb])
		args[0] = { ...a0, host };
	}
	return orig.apply(this, args);
};
