-- wrk script for 65-rate-limits.t: thread k sends
-- "Authorization: Bearer <token k>" (RATE_TOKENS_FILE, one token a line,
-- one per thread: one subject per thread) on every POST of a JSON-RPC
-- ping, and counts the answers it got by status.  done() prints one line
-- per thread:  SUBJECT k ok=N limited=N other=N duration_us=N
local tokens_file = os.getenv("RATE_TOKENS_FILE") or error("RATE_TOKENS_FILE")
local threads = {}
local k = 0

function setup(thread)
	k = k + 1
	thread:set("index", k)
	table.insert(threads, thread)
end

function init(args)
	local n = 0
	for line in io.lines(tokens_file) do
		n = n + 1
		if n == index then
			token = line
		end
	end
	ok, limited, other = 0, 0, 0
	wrk.method = "POST"
	wrk.body = '{"jsonrpc":"2.0","id":1,"method":"ping"}'
	wrk.headers["Content-Type"] = "application/json"
	wrk.headers["Accept"] = "application/json, text/event-stream"
	wrk.headers["Authorization"] = "Bearer " .. token
end

function response(status, headers, body)
	if status == 429 then
		limited = limited + 1
	elseif status >= 200 and status < 300 then
		ok = ok + 1
	else
		other = other + 1
	end
end

function done(summary, latency, requests)
	for _, t in ipairs(threads) do
		io.write(string.format("SUBJECT %d ok=%d limited=%d other=%d " ..
		    "duration_us=%d\n", t:get("index"), t:get("ok"),
		    t:get("limited"), t:get("other"), summary.duration))
	end
end
