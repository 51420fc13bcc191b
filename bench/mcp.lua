-- wrk script: POST one JSON-RPC request per call to an MCP Streamable HTTP
-- endpoint.  Headers given to wrk with -H (e.g. "Connection: close") are
-- sent as well.
--
-- Environment:
--   MCP_SESSION_ID     Mcp-Session-Id to send; empty or unset: none
--   MCP_METHOD         ping (default): {"method":"ping"}
--                      echo: tools/call of server-everything's echo tool
--   BENCH_TOKEN        send "Authorization: Bearer BENCH_TOKEN" on every
--                      request (the same token throughout)
--   BENCH_TOKENS_FILE  a file of tokens, one a line: every request takes
--                      the next one, round robin; thread k of n uses the
--                      tokens k, k+n, k+2n ... so the threads never send the
--                      same token at the same time.  The requests are
--                      formatted once, in init(), so that a token per
--                      request costs wrk nothing more than a fixed one.
--
-- done() prints one machine-readable line that bench/run parses:
--   RESULT requests=N duration_us=N ... lat_p99_us=N
-- (wrk's own human-readable report is printed above it as usual).

local sid = os.getenv("MCP_SESSION_ID") or ""
local method = os.getenv("MCP_METHOD") or "ping"
local token = os.getenv("BENCH_TOKEN") or ""
local tokens_file = os.getenv("BENCH_TOKENS_FILE") or ""

local bodies = {
	ping = '{"jsonrpc":"2.0","id":1,"method":"ping"}',
	echo = '{"jsonrpc":"2.0","id":1,"method":"tools/call",' ..
	    '"params":{"name":"echo","arguments":{"message":"bench"}}}',
}

wrk.method = "POST"
wrk.body = bodies[method] or error("MCP_METHOD must be ping or echo")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-06-18"
if sid ~= "" then
	wrk.headers["Mcp-Session-Id"] = sid
end
if token ~= "" then
	wrk.headers["Authorization"] = "Bearer " .. token
end

-- setup() runs in the main state once per thread: number the threads
local nthreads = 0
function setup(thread)
	thread:set("tid", nthreads)
	nthreads = nthreads + 1
end

if tokens_file ~= "" then
	local reqs, n, i = {}, 0, 0

	function init(args)
		local k, total = tid or 0, 0
		-- count the threads: wrk gives each thread its own state, so
		-- the total comes from the THREADS environment variable
		local nt = tonumber(os.getenv("BENCH_THREADS") or "") or 1
		local f = assert(io.open(tokens_file, "r"))
		for line in f:lines() do
			if line ~= "" then
				if total % nt == k then
					local h = {}
					for name, value in pairs(wrk.headers) do
						h[name] = value
					end
					h["Authorization"] = "Bearer " .. line
					n = n + 1
					reqs[n] = wrk.format(nil, nil, h, wrk.body)
				end
				total = total + 1
			end
		end
		f:close()
		assert(n > 0, "no tokens for thread " .. k .. " in " .. tokens_file)
	end

	function request()
		i = i % n + 1
		return reqs[i]
	end
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
	    "RESULT requests=%d duration_us=%d bytes=%d " ..
	    "err_connect=%d err_read=%d err_write=%d err_timeout=%d " ..
	    "err_status=%d rps=%.1f lat_mean_us=%.0f lat_stdev_us=%.0f " ..
	    "lat_p50_us=%d lat_p90_us=%d lat_p99_us=%d lat_max_us=%d\n",
	    summary.requests, summary.duration, summary.bytes,
	    e.connect, e.read, e.write, e.timeout, e.status,
	    summary.requests / (summary.duration / 1e6),
	    latency.mean, latency.stdev,
	    latency:percentile(50), latency:percentile(90),
	    latency:percentile(99), latency.max))
end
