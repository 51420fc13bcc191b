-- wrk script: POST one JSON-RPC request per call to an MCP Streamable HTTP
-- endpoint, in the session given by the environment.
--
--   MCP_SESSION_ID  Mcp-Session-Id to send (from an initialize done
--                   beforehand, see bench/run); empty: no header
--   MCP_METHOD      ping (default): {"method":"ping"}
--                   echo: tools/call of server-everything's echo tool
--
-- done() prints one machine-readable line that bench/run parses:
--   RESULT requests=N duration_us=N ... lat_p99_us=N
-- (wrk's own human-readable report is printed above it as usual).

local sid = os.getenv("MCP_SESSION_ID") or ""
local method = os.getenv("MCP_METHOD") or "ping"

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
