/*
 * jwksd's part of the shared INI file: one row per case, each bad one
 * with the line its error must name; plus the discovery URLs and the
 * http-to-loopback rule.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "../../jwksd/jwksd.h"
#include "unit.h"

static char	 path[] = "/tmp/jwksd-config.XXXXXX";

static int
load(const char *text, struct config **c, char *err, size_t errlen)
{
	FILE	*fp = fopen(path, "w");

	fputs(text, fp);
	fclose(fp);
	return (config_load(path, c, err, errlen));
}

static void
test_good(void)
{
	static const char text[] =
	    "; the tutorial, with keys\n"
	    "[mcpproxyd]\n"
	    "user = mcpproxyd\n"
	    "whatever_mcpproxyd_wants = 1\n"
	    "[server tutorial]\n"
	    "listen = 0.0.0.0:9000\n"
	    "listen = [::]:9000\n"
	    "[policy tools]\n"
	    "allow = tool:echo if realm_access.roles has mcp-echo\n"
	    "[jwksd]\n"
	    "user = jwksd\n"
	    "group = mcpproxyd\n"
	    "key_file = /var/lib/jwksd/keys\n"
	    "refresh_default = 15m\n"
	    "hard_expiry = 2d\n"
	    "max_document_size = 64k\n"
	    "allow_http = no\n"
	    "[issuer keycloak]\n"
	    "issuer = http://localhost:8080/realms/my-realm\n"
	    "jwks_url = http://localhost:8080/realms/my-realm/protocol/"
	    "openid-connect/certs\n"
	    "audiences = echo-mcp-server, other\n"
	    "provider = keycloak\n"
	    "[issuer auth0]\n"
	    "issuer = https://tenant.auth0.com/\n"
	    "[issuer local]\n"
	    "issuer = https://idp.example\n"
	    "jwks = /etc/jwksd/local.json\n";
	struct config	*c;
	struct issuer	*iss;
	char		 err[512];

	if (load(text, &c, err, sizeof(err)) == -1) {
		CHECK(0, "good config refused: %s", err);
		return;
	}
	CHECK(c->nissuers == 3, "%zu issuers", c->nissuers);
	CHECK(c->refresh_default == 900 && c->hard_expiry == 172800 &&
	    c->max_document_size == 65536 && c->refresh_min == 60,
	    "values");
	CHECK(strcmp(c->group, "mcpproxyd") == 0, "group");
	iss = config_find_issuer(c, "keycloak");
	CHECK(iss != NULL && iss->jwks_url != NULL && iss->jwks_file == NULL,
	    "keycloak");
	iss = config_find_issuer(c, "https://tenant.auth0.com/");
	CHECK(iss != NULL && strcmp(iss->name, "auth0") == 0 &&
	    iss->jwks_url == NULL, "auth0 by URL");
	iss = config_find_issuer(c, "local");
	CHECK(iss != NULL && iss->jwks_file != NULL &&
	    strcmp(iss->jwks_file, "/etc/jwksd/local.json") == 0,
	    "jwks alias to a file");
	config_free(c);

	CHECK(load("", &c, err, sizeof(err)) == 0, "empty file: %s", err);
	CHECK(c->nissuers == 0 && strcmp(c->user, "jwksd") == 0 &&
	    c->miss_debounce == 10, "defaults");
	config_free(c);
}

static void
test_bad(void)
{
	static const struct {
		const char	*text;
		int		 line;
		const char	*why;
	} v[] = {
		{ "[jwksd]\nfoo = 1\n", 2, "unknown key" },
		{ "[jwksd]\nuser = a\nuser = b\n", 3, "twice" },
		{ "[nope]\nx = 1\n", 1, "unknown section" },
		{ "[jwksd]\n[nope]\n", 2, "unknown section" },
		{ "x = 1\n", 1, "outside" },
		{ "[issuer]\n", 1, "unknown section" },
		{ "[issuer a b]\nissuer = https://a\n", 1, "bad issuer name" },
		{ "[issuer a]\nissuer = https://a\n[issuer a]\n", 3, "twice" },
		{ "[issuer a]\n", 1, "issuer is missing" },
		{ "[issuer a]\njwks_url = https://a/k\n", 1, "missing" },
		{ "[issuer a]\nissuer = https://a\nfoo = 1\n", 3,
		    "unknown key" },
		{ "[issuer a]\nissuer = https://a\naudience = x\n"
		    "jwks_uri = https://a/k\n", 4, "unknown key" },
		{ "[jwksd]\nmax_redirects = +3\n", 2, "bad value" },
		{ "[jwksd]\nmax_document_size = 64kb\n", 2, "bad value" },
		{ "[jwksd]\nfetch_timeout = 1w\n", 2, "bad value" },
		{ "[issuer a]\nissuer = https://a\nissuer = https://b\n", 3,
		    "twice" },
		{ "[issuer a]\nissuer = https://a\njwks_url = https://a/k\n"
		    "jwks_file = /k\n", 2, "both" },
		{ "[issuer a]\nissuer = http://idp.example\n", 2,
		    "loopback" },
		{ "[issuer a]\nissuer = https://a\njwks_url = http://b/k\n", 2,
		    "loopback" },
		{ "[issuer a]\nissuer = ftp://a\n", 2, "scheme" },
		{ "[issuer a]\nissuer = not a url\n", 2, "URL" },
		{ "[issuer a]\nissuer = https://a\n[issuer b]\n"
		    "issuer = https://a\n", 4, "same issuer" },
		{ "[jwksd]\nrefresh_min = 30\n", 2, "range" },
		{ "[jwksd]\nrefresh_min = 10m\nrefresh_default = 5m\n", 3,
		    "refresh_min <=" },
		{ "[jwksd]\nhard_expiry = 150\nrefresh_max = 100\n"
		    "refresh_default = 100\nrefresh_min = 100\n", 5,
		    "twice refresh_min" },
		{ "[jwksd]\nconnect_timeout = soon\n", 2, "bad value" },
		{ "[jwksd]\nfetch_timeout = 5x\n", 2, "bad value" },
		{ "[jwksd]\nmax_redirects = 1m\n", 2, "bad value" },
		{ "[jwksd]\nmax_redirects = 11\n", 2, "range" },
		{ "[jwksd]\nmax_document_size = 1g\n", 2, "bad value" },
		{ "[jwksd]\nallow_http = maybe\n", 2, "yes or no" },
		{ "[jwksd]\nkey_file =\n", 2, "empty" },
		{ "[jwksd]\nkey_file = relative/keys\n", 2, "absolute" },
		{ "[jwksd]\nmiss_debounce = -1\n", 2, "bad value" },
		{ "[jwksd\nuser = a\n", 1, "syntax" },
	};
	struct config	*c;
	char		 err[512], want[64];
	size_t		 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		err[0] = '\0';
		if (load(v[i].text, &c, err, sizeof(err)) == 0) {
			CHECK(0, "row %zu accepted", i);
			config_free(c);
			continue;
		}
		snprintf(want, sizeof(want), "%s:%d: ", path, v[i].line);
		CHECK(strncmp(err, want, strlen(want)) == 0 &&
		    strstr(err, v[i].why) != NULL,
		    "row %zu: \"%s\", want line %d and \"%s\"", i, err,
		    v[i].line, v[i].why);
	}
	CHECK(config_load("/nonexistent/x.conf", &c, err, sizeof(err)) == -1 &&
	    strstr(err, "/nonexistent/x.conf") != NULL, "missing file");
}

static void
test_http_rule(void)
{
	static const struct {
		const char	*url;
		int		 allow, ok;
	} v[] = {
		{ "https://idp.example/realms/x", 0, 0 },
		{ "http://127.0.0.1:8080/realms/x", 0, 0 },
		{ "http://127.9.9.9/", 0, 0 },
		{ "http://localhost:8080/", 0, 0 },
		{ "http://[::1]:8080/", 0, 0 },
		{ "http://idp.example/", 0, -1 },
		{ "http://127.0.0.1.evil.example/", 0, -1 },
		{ "http://10.0.0.1/", 0, -1 },
		{ "http://idp.example/", 1, 0 },
		{ "file:///etc/passwd", 1, -1 },
		{ "gopher://x/", 1, -1 },
		{ "", 1, -1 },
	};
	const char	*why;
	size_t		 i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		CHECK(fetch_url_allowed(v[i].url, v[i].allow, &why) == v[i].ok,
		    "%s (allow_http %d)", v[i].url, v[i].allow);
}

static void
test_discovery_urls(void)
{
	char	*u[3];
	int	 n, i;

	n = discovery_urls("http://localhost:8080/realms/my-realm", u, 3);
	CHECK(n == 3, "path issuer: %d urls", n);
	if (n == 3) {
		CHECK(strcmp(u[0], "http://localhost:8080/.well-known/"
		    "oauth-authorization-server/realms/my-realm") == 0, "%s",
		    u[0]);
		CHECK(strcmp(u[1], "http://localhost:8080/.well-known/"
		    "openid-configuration/realms/my-realm") == 0, "%s", u[1]);
		CHECK(strcmp(u[2], "http://localhost:8080/realms/my-realm/"
		    ".well-known/openid-configuration") == 0, "%s", u[2]);
	}
	for (i = 0; i < n; i++)
		free(u[i]);
	n = discovery_urls("https://tenant.auth0.com/", u, 3);
	CHECK(n == 2, "root issuer: %d urls", n);
	if (n == 2) {
		CHECK(strcmp(u[0], "https://tenant.auth0.com/.well-known/"
		    "oauth-authorization-server") == 0, "%s", u[0]);
		CHECK(strcmp(u[1], "https://tenant.auth0.com/.well-known/"
		    "openid-configuration") == 0, "%s", u[1]);
	}
	for (i = 0; i < n; i++)
		free(u[i]);
	CHECK(discovery_urls("https://a/x?y=1", u, 3) == -1, "query");
	CHECK(discovery_urls("https://a/x#f", u, 3) == -1, "fragment");
	CHECK(discovery_urls("nourl", u, 3) == -1, "not a URL");
	CHECK(discovery_urls("https:///x", u, 3) == -1, "no host");
}

int
main(void)
{
	int	 fd;

	log_init("jwksd_config", 1, 0);
	if ((fd = mkstemp(path)) == -1)
		return (1);
	close(fd);
	test_good();
	test_bad();
	test_http_rule();
	test_discovery_urls();
	unlink(path);
	return (unit_done("jwksd_config"));
}
