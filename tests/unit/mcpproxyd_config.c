/*
 * The configuration loader against a table of files: each bad one must
 * fail with exactly the golden "file:line: message".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../mcpproxyd/mcpproxyd.h"
#include "unit.h"
#include "unit_conftable.h"

#define OKHEAD	"[server s]\nlisten = 127.0.0.1:9000\nroute = /mcp http://127.0.0.1:8000/mcp\n"

static const struct conf_case cases[] = {
	/* good */
	{ OKHEAD, NULL },
	{ "[mcpproxyd]\nmax_workers = 8\nmin_spare = 1\nmax_spare = 2\n" OKHEAD, NULL },
	/* 10,000 event streams: the pool's keys reach 16384 */
	{ "[mcpproxyd]\nmax_workers = 16384\nstart_workers = 16384\n"
	    "min_spare = 64\nmax_spare = 16384\nstream_share = 100\n"
	    "max_streams_per_client = 16384\nmax_conns_per_client = 16384\n"
	    "backlog = 65535\n" OKHEAD, NULL },
	{ "[mcpproxyd]\nmax_workers = 12000\nmax_streams_per_client = 10000\n"
	    "max_conns_per_client = 0\n" OKHEAD, NULL },
	{ OKHEAD "cors_allow_origins = *\ncors_allow_headers = *\n", NULL },
	{ OKHEAD "listen = [::1]:9000\nlisten = :9001\n", NULL },
	{ "; comment\n# comment\n" OKHEAD "[jwksd]\nanything = goes\n[issuer kc]\nissuer = http://x\n", NULL },
	{ "[mcpproxyd]\nmax_body_size = 1m\nmax_header_size = 8k\n" OKHEAD, NULL },
	{ OKHEAD "cors_allow_origins = http://a.example, http://b.example\ncors_allow_credentials = yes\n", NULL },
	{ OKHEAD "cors_max_age = 0\n", NULL },
	{ "[mcpproxyd]\nmax_workers = 8 ; inline comment\n" OKHEAD, NULL },
	{ "[mcpproxyd]\nworker_sched = other\ndefer_accept = 0\n" OKHEAD, NULL },
	{ "[mcpproxyd]\nwaitroom = off\nwaitroom_after = 10\nwaitroom_max_conns = 16\nwaitroom_memory = 64k\nwaitroom_open_files = 48\nwaitroom_min_rate = 0\n" OKHEAD, "t.conf:6: waitroom_open_files: \"48\" is not a number from 64 to 1001024" },
	{ "[mcpproxyd]\nwaitroom = on\nwaitroom_memory = 1m\nwaitroom_max_conns = 100000\nwaitroom_open_files = 100032\n" OKHEAD, NULL },
	{ "[mcpproxyd]\naccess_log = off\naccess_log_format = json\nrequest_id_max = 0\n" OKHEAD, NULL },
	{ OKHEAD "route = /p http://127.0.0.1:8000/p auth=a\n[auth a]\nissuer = kc\n"
	    "[issuer kc]\nissuer = https://kc.example/realms/r\naudiences = echo\njwks_url = https://kc/certs\n", NULL },
	{ OKHEAD "route = / http://127.0.0.1:8000/ semicolons=allow\n", NULL },
	{ OKHEAD "route = /o http://127.0.0.1:8000/ semicolons=refuse\n", NULL },
	{ OKHEAD "route = /A-z_0.9~/x.y/ http://127.0.0.1:8000/\n", NULL },
	{ OKHEAD "route = /p http://127.0.0.1:8000/p auth=a\n[auth a]\nissuer = kc\naudiences = x, y\n"
	    "mode = optional\nresource = http://localhost:9000/p\nscopes_supported = openid\n"
	    "required_scopes = mcp:tools\nbearer_methods_supported = header\nleeway = 0\n"
	    "subject_header = X-Auth-Subject\npass_token = no\n"
	    "[issuer kc]\nissuer = https://kc.example\nprovider = keycloak\n"
	    "[jwksd]\nkey_file = /tmp/k\nrefresh_min = 60\n", NULL },
	{ OKHEAD "trusted_proxies = 10.0.0.0/8, 192.168.1.1 ::1,fd00::/8\nunderscores_in_headers = yes\n", NULL },
	{ OKHEAD "trusted_proxies = 0.0.0.0/0\nunderscores_in_headers = no\n", NULL },
	/* bad */
	{ OKHEAD "trusted_proxies = 10.0.0.0/33\n", "t.conf:4: trusted_proxies: \"10.0.0.0/33\": bad prefix length" },
	{ OKHEAD "trusted_proxies = ::/129\n", "t.conf:4: trusted_proxies: \"::/129\": bad prefix length" },
	{ OKHEAD "trusted_proxies = 10.0.0.0/\n", "t.conf:4: trusted_proxies: \"10.0.0.0/\": bad prefix length" },
	{ OKHEAD "trusted_proxies = 10.0.0.0/-8\n", "t.conf:4: trusted_proxies: \"10.0.0.0/-8\": bad prefix length" },
	{ OKHEAD "trusted_proxies = 10.0.0.0/08\n", "t.conf:4: trusted_proxies: \"10.0.0.0/08\": bad prefix length" },
	{ OKHEAD "trusted_proxies = 10.0.0.0/8/8\n", "t.conf:4: trusted_proxies: \"10.0.0.0/8/8\": bad prefix length" },
	{ OKHEAD "trusted_proxies = 10.0.0\n", "t.conf:4: trusted_proxies: \"10.0.0\": not an IPv4 or IPv6 address" },
	{ OKHEAD "trusted_proxies = 10.0.0.1, proxy.example\n", "t.conf:4: trusted_proxies: \"proxy.example\": not an IPv4 or IPv6 address" },
	{ OKHEAD "trusted_proxies = [::1]\n", "t.conf:4: trusted_proxies: \"[::1]\": not an IPv4 or IPv6 address" },
	{ OKHEAD "trusted_proxies = 10.0.0.1:80\n", "t.conf:4: trusted_proxies: \"10.0.0.1:80\": not an IPv4 or IPv6 address" },
	{ OKHEAD "trusted_proxies = *\n", "t.conf:4: trusted_proxies: \"*\": not an IPv4 or IPv6 address" },
	{ OKHEAD "trusted_proxies = ::ffff:10.0.0.1\n", "t.conf:4: trusted_proxies: \"::ffff:10.0.0.1\": write an IPv4-mapped address as IPv4" },
	{ OKHEAD "trusted_proxies = ,\n", "t.conf:4: trusted_proxies: empty list" },
	{ OKHEAD "trusted_proxies = 10.0.0.1\ntrusted_proxies = 10.0.0.2\n", "t.conf:5: \"trusted_proxies\" given twice in [server s]" },
	{ OKHEAD "underscores_in_headers = maybe\n", "t.conf:4: underscores_in_headers: \"maybe\" is not yes or no" },
	{ OKHEAD "[auth a]\ntrust_forwarded = yes\n", "t.conf:5: trust_forwarded: replaced by trusted_proxies in [server NAME] (the proxies' addresses)" },
	{ "[mcpproxyd]\nkid_wait_max = 1\nkid_wait_max_per_client = 4096\n"
	    "max_subject = 1024\nmax_scopes = 8192\n" OKHEAD, NULL },
	{ OKHEAD "route = /a http://127.0.0.1:8000/a auth=a\n"
	    "route = /b http://127.0.0.1:8000/b auth=b\n"
	    "[auth a]\nissuer = kc.main_1\naudiences = x\n"
	    "[auth b]\nissuer = other\naudiences = x\n"
	    "[issuer kc.main_1]\nissuer = https://a\n"
	    "[issuer other]\nissuer = https://b\n", NULL },
	/* bad */
	{ "[mcpproxyd]\nkid_wait_max = 0\n" OKHEAD, "t.conf:2: kid_wait_max: \"0\" is not a number from 1 to 16384" },
	{ "[mcpproxyd]\nkid_wait_max = 16385\n" OKHEAD, "t.conf:2: kid_wait_max: \"16385\" is not a number from 1 to 16384" },
	{ "[mcpproxyd]\nkid_wait_max_per_client = 0\n" OKHEAD, "t.conf:2: kid_wait_max_per_client: \"0\" is not a number from 1 to 16384" },
	{ "[mcpproxyd]\nkid_wait_max_per_client = -1\n" OKHEAD, "t.conf:2: kid_wait_max_per_client: \"-1\" is not a number from 1 to 16384" },
	{ "[mcpproxyd]\nmax_subject = 0\n" OKHEAD, "t.conf:2: max_subject: \"0\" is not a number from 1 to 1024" },
	{ "[mcpproxyd]\nmax_subject = 1025\n" OKHEAD, "t.conf:2: max_subject: \"1025\" is not a number from 1 to 1024" },
	{ "[mcpproxyd]\nmax_subject = 2k\n" OKHEAD, "t.conf:2: max_subject: \"2k\" is not a number from 1 to 1024" },
	{ "[mcpproxyd]\nmax_scopes = 0\n" OKHEAD, "t.conf:2: max_scopes: \"0\" is not a number from 1 to 8192" },
	{ "[mcpproxyd]\nmax_scopes = 8193\n" OKHEAD, "t.conf:2: max_scopes: \"8193\" is not a number from 1 to 8192" },
	{ "[mcpproxyd]\nmax_scopes = 1024\nmax_scopes = 1024\n" OKHEAD, "t.conf:3: \"max_scopes\" given twice in [mcpproxyd]" },
	{ OKHEAD "route = /a http://127.0.0.1:8000/a auth=a\n"
	    "route = /b http://127.0.0.1:8000/b auth=b\n"
	    "[auth a]\nissuer = k:c\naudiences = x\n"
	    "[auth b]\nissuer = other\naudiences = x\n"
	    "[issuer k:c]\nissuer = https://a\n"
	    "[issuer other]\nissuer = https://b\n",
	    "t.conf:12: [issuer k:c]: [server s] has two issuers, so it names them in subjects: use only letters, digits, '.', '_' and '-'" },
	{ OKHEAD "route = /a http://127.0.0.1:8000/a auth=a\n"
	    "route = /b http://127.0.0.1:8000/b auth=b\n"
	    "[auth a]\nissuer = \xc3\xa9\naudiences = x\n"
	    "[auth b]\nissuer = other\naudiences = x\n"
	    "[issuer \xc3\xa9]\nissuer = https://a\n"
	    "[issuer other]\nissuer = https://b\n",
	    "t.conf:12: [issuer \xc3\xa9]: [server s] has two issuers, so it names them in subjects: use only letters, digits, '.', '_' and '-'" },
	{ OKHEAD "route = /p http://127.0.0.1:8000/p auth=nope\n", "t.conf:1: [server s]: route /p: no [auth nope]" },
	{ OKHEAD "route = /p http://127.0.0.1:8000/p auth=\n", "t.conf:4: route: auth= needs the name of an [auth NAME] section" },
	{ OKHEAD "route = /p http://127.0.0.1:8000/p auth=a extra\n", "t.conf:4: route: expected \"PREFIX URL [auth=NAME] [policy=NAME] [ratelimit=NAME] [semicolons=allow]\"" },
	{ OKHEAD "route = /p http://127.0.0.1:8000/p colour=blue\n", "t.conf:4: route: expected \"PREFIX URL [auth=NAME] [policy=NAME] [ratelimit=NAME] [semicolons=allow]\"" },
	{ OKHEAD "[auth a]\naudiences = x\n", "t.conf:4: [auth a]: no issuer" },
	{ OKHEAD "[auth a]\nissuer = kc\naudiences = x\n", "t.conf:4: [auth a]: no [issuer kc]" },
	{ OKHEAD "[auth a]\nissuer = kc\n[issuer kc]\nissuer = http://kc\n", "t.conf:4: [auth a]: no audiences (in it or in [issuer kc])" },
	{ OKHEAD "[auth a]\nissuer = kc\naudiences = *\n[issuer kc]\nissuer = http://kc\n", "t.conf:4: [auth a]: audiences cannot be \"*\"" },
	{ OKHEAD "[issuer kc]\naudiences = x\n", "t.conf:4: [issuer kc]: no issuer" },
	{ OKHEAD "[issuer kc]\nissuer = kc.example\n", "t.conf:5: issuer: \"kc.example\" is not an http or https URL" },
	{ OKHEAD "[issuer kc]\nprovider = okta\n", "t.conf:5: provider: \"okta\" is not generic or keycloak" },
	{ OKHEAD "[issuer kc]\nrefresh = 5\n", "t.conf:5: unknown key \"refresh\" in [issuer kc]" },
	{ OKHEAD "[issuer kc]\nissuer = https://a\njwks_uri = https://a/k\n", "t.conf:6: unknown key \"jwks_uri\" in [issuer kc]" },
	{ OKHEAD "route = /p http://127.0.0.1:8000/p auth=a\n[auth a]\nissuer = kc\n"
	    "[issuer kc]\nissuer = https://a\njwks = https://a/k\njwks_file = /k\naudience = x\n", NULL },
	{ OKHEAD "route = /p http://127.0.0.1:+8000/p\n", "t.conf:4: route: bad port in \"http://127.0.0.1:+8000/p\"" },
	{ OKHEAD "route = /p http://[::1]x/p\n", "t.conf:4: route: bad host in \"http://[::1]x/p\"" },
	{ OKHEAD "route = /p http://:80/p\n", "t.conf:4: route: no host in \"http://:80/p\"" },
	{ "[mcpproxyd]\nmax_body_size = +1m\n" OKHEAD, "t.conf:2: max_body_size: bad value \"+1m\"" },
	{ OKHEAD "[auth a]\nmode = lax\n", "t.conf:5: mode: \"lax\" is not strict, optional or permissive" },
	{ OKHEAD "[auth a]\nbearer_methods_supported = query\n", "t.conf:5: bearer_methods_supported: only \"header\" is supported (tokens in queries or bodies leak)" },
	{ OKHEAD "[auth a]\nresource = localhost:9000/mcp\n", "t.conf:5: resource: \"localhost:9000/mcp\" is not an http or https URL" },
	{ OKHEAD "[auth a]\nleeway = 3600\n", "t.conf:5: leeway: \"3600\" is not a number from 0 to 600" },
	{ OKHEAD "[auth a]\nmax_token_size = 1m\n", "t.conf:5: max_token_size: bad value \"1m\"" },
	{ OKHEAD "[auth a]\nsubject_header = X Sub\n", "t.conf:5: subject_header: \"X Sub\" is not a header name" },
	{ OKHEAD "[auth a]\npass_token = perhaps\n", "t.conf:5: pass_token: \"perhaps\" is not yes or no" },
	{ OKHEAD "[auth a]\nscope = x\n", "t.conf:5: unknown key \"scope\" in [auth a]" },
	{ OKHEAD "[auth a]\n[auth a]\n", "t.conf:5: [auth a] given twice" },
	{ OKHEAD "[auth]\n", "t.conf:4: unknown section [auth]" },
	{ OKHEAD "[issuer two words]\n", "t.conf:4: [issuer NAME]: bad name \"two words\"" },

	{ OKHEAD "  cors_max_age = 5\n", "t.conf:4: indented line: continuation lines are not supported" },
	{ OKHEAD "cors_allow_origins = \"*\"\n", "t.conf:4: quoted value: write values without quotes" },
	{ "[mcpproxyd]\nmax_body_size = 0\n", "t.conf:2: max_body_size: bad value \"0\"" },
	{ "", "t.conf: no [server NAME] section" },
	{ "[nonsense]\n", "t.conf:1: unknown section [nonsense]" },
	{ "[server]\n", "t.conf:1: unknown section [server]" },
	{ "[mcpproxyd]\nbogus = 1\n", "t.conf:2: unknown key \"bogus\" in [mcpproxyd]" },
	{ "[mcpproxyd]\nmax_workers = 0\n", "t.conf:2: max_workers: \"0\" is not a number from 1 to 16384" },
	{ "[mcpproxyd]\nmax_workers = 10x\n", "t.conf:2: max_workers: \"10x\" is not a number from 1 to 16384" },
	{ "[mcpproxyd]\nmax_workers = -1\n", "t.conf:2: max_workers: \"-1\" is not a number from 1 to 16384" },
	{ "[mcpproxyd]\nmax_workers = 16385\n", "t.conf:2: max_workers: \"16385\" is not a number from 1 to 16384" },
	{ "[mcpproxyd]\nmax_workers = 1000000\n", "t.conf:2: max_workers: \"1000000\" is not a number from 1 to 16384" },
	{ "[mcpproxyd]\nstart_workers = 16385\n", "t.conf:2: start_workers: \"16385\" is not a number from 1 to 16384" },
	{ "[mcpproxyd]\nmin_spare = 16385\n", "t.conf:2: min_spare: \"16385\" is not a number from 1 to 16384" },
	{ "[mcpproxyd]\nmax_spare = 16385\n", "t.conf:2: max_spare: \"16385\" is not a number from 1 to 16384" },
	{ "[mcpproxyd]\nmax_streams_per_client = 16385\n", "t.conf:2: max_streams_per_client: \"16385\" is not a number from 1 to 16384" },
	{ "[mcpproxyd]\nmax_streams_per_client = 0\n", "t.conf:2: max_streams_per_client: \"0\" is not a number from 1 to 16384" },
	{ "[mcpproxyd]\nmax_conns_per_client = 16385\n", "t.conf:2: max_conns_per_client: \"16385\" is not a number from 0 to 16384" },
	{ "[mcpproxyd]\nmax_conns_per_client = -1\n", "t.conf:2: max_conns_per_client: \"-1\" is not a number from 0 to 16384" },
	{ "[mcpproxyd]\nmax_workers = 99999999999999999999\n", "t.conf:2: max_workers: \"99999999999999999999\" is not a number from 1 to 16384" },
	{ "[mcpproxyd]\nheader_timeout = 0\n", "t.conf:2: header_timeout: \"0\" is not a number from 1 to 3600" },
	{ "[mcpproxyd]\ndefer_accept = -1\n", "t.conf:2: defer_accept: \"-1\" is not a number from 0 to 3600" },
	{ "[mcpproxyd]\ndefer_accept = 3601\n", "t.conf:2: defer_accept: \"3601\" is not a number from 0 to 3600" },
	{ "[mcpproxyd]\nworker_sched = fifo\n", "t.conf:2: worker_sched: \"fifo\" is not batch or other" },
	{ "[mcpproxyd]\nwaitroom = yes\n", "t.conf:2: waitroom: \"yes\" is not on or off" },
	{ "[mcpproxyd]\nwaitroom = On\n", "t.conf:2: waitroom: \"On\" is not on or off" },
	{ "[mcpproxyd]\nwaitroom = \n", "t.conf:2: waitroom: \"\" is not on or off" },
	{ "[mcpproxyd]\nwaitroom_after = 9\n", "t.conf:2: waitroom_after: \"9\" is not a number from 10 to 60000" },
	{ "[mcpproxyd]\nwaitroom_after = 60001\n", "t.conf:2: waitroom_after: \"60001\" is not a number from 10 to 60000" },
	{ "[mcpproxyd]\nwaitroom_max_conns = 15\n", "t.conf:2: waitroom_max_conns: \"15\" is not a number from 16 to 1000000" },
	{ "[mcpproxyd]\nwaitroom_memory = 1k\n", "t.conf:2: waitroom_memory: \"1k\" is not a number from 65536 to 1073741824" },
	{ "[mcpproxyd]\nwaitroom_memory = 2g\n", "t.conf:2: waitroom_memory: \"2g\" is not a number from 65536 to 1073741824" },
	{ "[mcpproxyd]\nwaitroom_min_rate = -1\n", "t.conf:2: waitroom_min_rate: \"-1\" is not a number from 0 to 1000000" },
	{ "[mcpproxyd]\nwaitroom_max_conns = 20000\n" OKHEAD, "t.conf: waitroom_open_files (10240) leaves no room for waitroom_max_conns (20000) and 32 more" },
	{ "[mcpproxyd]\naccess_log_format = JSON\n" OKHEAD, "t.conf:2: access_log_format: \"JSON\" is not text or json" },
	{ "[mcpproxyd]\naccess_log_format = \n" OKHEAD, "t.conf:2: access_log_format: \"\" is not text or json" },
	{ "[mcpproxyd]\naccess_log_format = clf\n" OKHEAD, "t.conf:2: access_log_format: \"clf\" is not text or json" },
	{ "[mcpproxyd]\nrequest_id_max = 65\n" OKHEAD, "t.conf:2: request_id_max: \"65\" is not a number from 0 to 64" },
	{ "[mcpproxyd]\nrequest_id_max = -1\n" OKHEAD, "t.conf:2: request_id_max: \"-1\" is not a number from 0 to 64" },
	{ OKHEAD "[issuer kc]\nissuer = http://x\nrevoked_file = /nonexistent/revoked\n", "t.conf:4: revoked_file /nonexistent/revoked: No such file or directory" },
	/* max_token_lifetime: mcpproxyd-token's bounds, 1s to 366d */
	{ OKHEAD "[issuer kc]\nissuer = http://x\nmax_token_lifetime = 8h\n", NULL },
	{ OKHEAD "[issuer kc]\nissuer = http://x\nmax_token_lifetime = 366d\n", NULL },
	{ OKHEAD "[issuer kc]\nissuer = http://x\nmax_token_lifetime = 0\n", "t.conf:6: max_token_lifetime: \"0\" is not a duration from 1s to 366d" },
	{ OKHEAD "[issuer kc]\nissuer = http://x\nmax_token_lifetime = 367d\n", "t.conf:6: max_token_lifetime: \"367d\" is not a duration from 1s to 366d" },
	{ OKHEAD "[issuer kc]\nissuer = http://x\nmax_token_lifetime = 8x\n", "t.conf:6: max_token_lifetime: \"8x\" is not a duration from 1s to 366d" },
	{ OKHEAD "[issuer kc]\nissuer = http://x\nmax_token_lifetime = -1h\n", "t.conf:6: max_token_lifetime: \"-1h\" is not a duration from 1s to 366d" },
	{ "[mcpproxyd]\nworker_sched = \n", "t.conf:2: worker_sched: \"\" is not batch or other" },
	{ "[mcpproxyd]\nworker_sched = Batch\n", "t.conf:2: worker_sched: \"Batch\" is not batch or other" },
	{ "[mcpproxyd]\nstream_share = 101\n", "t.conf:2: stream_share: \"101\" is not a number from 1 to 100" },
	{ "[mcpproxyd]\nmax_body_size = 2g\n", "t.conf:2: max_body_size: bad value \"2g\"" },
	{ "[mcpproxyd]\nmax_header_size = 10\n", "t.conf:2: max_header_size: bad value \"10\"" },
	{ "[mcpproxyd]\nmax_headers = 1000\n", "t.conf:2: max_headers: bad value \"1000\"" },
	{ "[mcpproxyd]\nmax_workers = 4\nmax_workers = 5\n", "t.conf:3: \"max_workers\" given twice in [mcpproxyd]" },
	{ "[mcpproxyd]\nmin_spare = 9\nmax_spare = 3\n" OKHEAD, "t.conf: min_spare (9) is above max_spare (3)" },
	{ "[mcpproxyd]\nmax_request_line = 16k\nmax_header_size = 8k\n" OKHEAD, "t.conf: max_request_line is above max_header_size" },
	{ "[server s]\nroute = /mcp http://127.0.0.1:8000/mcp\n", "t.conf:1: [server s]: no listen" },
	{ "[server s]\nlisten = 127.0.0.1:9000\n", "t.conf:1: [server s]: no route" },
	{ "[server s]\nlisten = 127.0.0.1\n", "t.conf:2: listen: \"127.0.0.1\": expected host:port" },
	{ "[server s]\nlisten = 127.0.0.1:0\n", "t.conf:2: listen: \"127.0.0.1:0\": bad port" },
	{ "[server s]\nlisten = 127.0.0.1:65536\n", "t.conf:2: listen: \"127.0.0.1:65536\": bad port" },
	{ "[server s]\nlisten = localhost:9000\n", "t.conf:2: listen: \"localhost:9000\": host must be an IPv4 address, [IPv6 address], * or empty" },
	{ "[server s]\nlisten = [::1:9000\n", "t.conf:2: listen: \"[::1:9000\": host must be an IPv4 address, [IPv6 address], * or empty" },
	{ "[server s]\nlisten = [zz]:9000\n", "t.conf:2: listen: \"[zz]:9000\": host must be an IPv4 address, [IPv6 address], * or empty" },
	{ "[server s]\nlisten = 127.0.0.1:9000\nlisten = 127.0.0.1:9000\n", "t.conf:3: listen: \"127.0.0.1:9000\" given twice" },
	{ "[server s]\nroute = /mcp\n", "t.conf:2: route: expected \"PREFIX URL [auth=NAME] [policy=NAME] [ratelimit=NAME] [semicolons=allow]\"" },
	{ "[server s]\nroute = mcp http://a/\n", "t.conf:2: route: prefix \"mcp\" must start with /" },
	{ "[server s]\nroute = /%6dcp http://a/\n", "t.conf:2: route: prefix \"/%6dcp\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /mcp%2f http://a/\n", "t.conf:2: route: prefix \"/mcp%2f\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /mcp;x http://a/\n", "t.conf:2: route: prefix \"/mcp;x\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /mcp; http://a/\n", "t.conf:2: route: prefix \"/mcp;\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /a:b http://a/\n", "t.conf:2: route: prefix \"/a:b\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /a@b http://a/\n", "t.conf:2: route: prefix \"/a@b\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /a! http://a/\n", "t.conf:2: route: prefix \"/a!\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /a$b http://a/\n", "t.conf:2: route: prefix \"/a$b\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /a'b http://a/\n", "t.conf:2: route: prefix \"/a'b\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /a(b) http://a/\n", "t.conf:2: route: prefix \"/a(b)\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /a* http://a/\n", "t.conf:2: route: prefix \"/a*\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /a+b http://a/\n", "t.conf:2: route: prefix \"/a+b\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /a,b http://a/\n", "t.conf:2: route: prefix \"/a,b\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /a=b http://a/\n", "t.conf:2: route: prefix \"/a=b\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /a/./b http://a/\n", "t.conf:2: route: prefix \"/a/./b\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /a/../b http://a/\n", "t.conf:2: route: prefix \"/a/../b\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /.. http://a/\n", "t.conf:2: route: prefix \"/..\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /. http://a/\n", "t.conf:2: route: prefix \"/.\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = //a http://a/\n", "t.conf:2: route: prefix \"//a\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /a//b http://a/\n", "t.conf:2: route: prefix \"/a//b\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /a\\b http://a/\n", "t.conf:2: route: prefix \"/a\\b\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ "[server s]\nroute = /m\xc3\xa9 http://a/\n", "t.conf:2: route: prefix \"/m\xc3\xa9\" may hold only letters, digits, - . _ ~ and / (no \".\" or \"..\" segment, no \"//\")" },
	{ OKHEAD "route = /p http://127.0.0.1:8000/p auth=a semicolons=allow\n", "t.conf:4: route: semicolons=allow only on a route without auth=" },
	{ OKHEAD "route = /p http://127.0.0.1:8000/p semicolons=allow auth=a\n", "t.conf:4: route: semicolons=allow only on a route without auth=" },
	{ OKHEAD "route = /p http://127.0.0.1:8000/p semicolons=yes\n", "t.conf:4: route: expected \"PREFIX URL [auth=NAME] [policy=NAME] [ratelimit=NAME] [semicolons=allow]\"" },
	{ OKHEAD "route = /p http://127.0.0.1:8000/p semicolons=allow semicolons=allow\n", "t.conf:4: route: expected \"PREFIX URL [auth=NAME] [policy=NAME] [ratelimit=NAME] [semicolons=allow]\"" },
	{ OKHEAD "route = /p http://127.0.0.1:8000/p auth=a auth=b\n", "t.conf:4: route: expected \"PREFIX URL [auth=NAME] [policy=NAME] [ratelimit=NAME] [semicolons=allow]\"" },
	{ "[server s]\nroute = /mcp ftp://a/mcp\n", "t.conf:2: route: upstream \"ftp://a/mcp\" must be an http:// or https:// URL" },
	{ "[server s]\nroute = /mcp http://a/mcp?x=1\n", "t.conf:2: route: upstream URL may not hold ?, # or userinfo" },
	{ "[server s]\nroute = /mcp http://u@a/mcp\n", "t.conf:2: route: upstream URL may not hold ?, # or userinfo" },
	{ "[server s]\nroute = /mcp http:///mcp\n", "t.conf:2: route: no host in \"http:///mcp\"" },
	{ "[server s]\nroute = /mcp http://a:/mcp\n", "t.conf:2: route: bad port in \"http://a:/mcp\"" },
	{ "[server s]\nroute = /mcp http://a:99999/mcp\n", "t.conf:2: route: bad port in \"http://a:99999/mcp\"" },
	{ "[server s]\nroute = /mcp http://[::1/mcp\n", "t.conf:2: route: bad IPv6 address in \"http://[::1/mcp\"" },
	{ "[server s]\ncolour = blue\n", "t.conf:2: unknown key \"colour\" in [server s]" },
	{ "[server s]\ncors_max_age = -5\n", "t.conf:2: cors_max_age: \"-5\" is not a number from 0 to 86400" },
	{ "[server s]\ncors_allow_credentials = maybe\n", "t.conf:2: cors_allow_credentials: \"maybe\" is not yes or no" },
	{ "[server s]\ncors_allow_origins = *, http://a\n", "t.conf:2: cors_allow_origins: \"*\" cannot be combined with other values" },
	{ "[server s]\ncors_allow_origins = ,\n", "t.conf:2: cors_allow_origins: empty list" },
	{ OKHEAD "cors_allow_origins = *\ncors_allow_credentials = yes\n", "t.conf:1: [server s]: cors_allow_credentials cannot be used with cors_allow_origins = *" },
	{ OKHEAD "[server s]\n", "t.conf:4: [server s] given twice" },
	{ "[mcpproxyd\n", "t.conf:1: syntax error" },
	{ "max_workers = 3\n" OKHEAD, "t.conf:1: key \"max_workers\" outside of a section" },
	{ "[ mcpproxyd]\n", "t.conf:1: unknown section [ mcpproxyd]" },
	{ "[server s]\n[server s]\n", "t.conf:2: [server s] given twice" },
	{ "[mcpproxyd]\nno equals sign\n", "t.conf:2: syntax error" },
	{ "[mcpproxyd]\nuser = " "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	    "t.conf:2: line longer than 198 characters" },
};

int
main(void)
{
	char	 dir[] = "/tmp/mcpproxyd-conf-XXXXXX";

	if (mkdtemp(dir) == NULL || chdir(dir) == -1)
		return (2);
	conf_table("config", cases, sizeof(cases) / sizeof(cases[0]),
	    conf_load_text);
	unlink("t.conf");
	rmdir(dir);
	return (unit_done("mcpproxyd_config"));
}
