// conformance-verdicts.mjs DIR [--messages]: the verdicts that
// `conformance server -o DIR` saved, one line per check, sorted:
//   SCENARIO/CHECK-ID STATUS[,STATUS...] [| error messages]
// (a scenario may record one check id more than once: its statuses are
// joined in sorted order).  DIR holds one directory per scenario run,
// server-SCENARIO-TIMESTAMP, each with a checks.json; a scenario whose
// checks.json is missing, unreadable or empty gets the line
// SCENARIO/- NO-CHECKS.  Exits 1 if DIR holds no scenario at all.
import fs from 'node:fs';
import path from 'node:path';

const [dir, opt] = process.argv.slice(2);
const rows = new Map();

function add(key, status, msg) {
	if (!rows.has(key))
		rows.set(key, { st: [], msg: [] });
	rows.get(key).st.push(status);
	if (msg)
		rows.get(key).msg.push(String(msg).replace(/\s+/g, ' '));
}

for (const d of fs.readdirSync(dir)) {
	const m = /^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/.exec(d);
	if (!m)
		continue;
	let checks;
	try {
		checks = JSON.parse(fs.readFileSync(path.join(dir, d,
		    'checks.json'), 'utf8'));
	} catch (e) {
		checks = [];
	}
	if (!Array.isArray(checks) || checks.length === 0)
		add(`${m[1]}/-`, 'NO-CHECKS');
	else
		for (const c of checks)
			add(`${m[1]}/${c.id}`, c.status, c.errorMessage);
}
if (rows.size === 0) {
	console.error(`${dir}: no scenario results`);
	process.exit(1);
}
const out = [];
for (const [k, v] of rows) {
	let l = `${k} ${v.st.sort().join(',')}`;
	if (opt === '--messages' && v.msg.length)
		l += ' | ' + v.msg.sort().join(' | ');
	out.push(l);
}
console.log(out.sort().join('\n'));
