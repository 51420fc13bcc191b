/*
 * HTTP(S) fetching of discovery and JWKS documents (the only libcurl
 * user): TLS verified, timeouts, a size cap, bounded redirects, plain
 * http only to loopback unless allowed, ETag revalidation and the
 * caching headers that set the refresh interval.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "log.h"
#include "jwksd.h"

struct body {
	char		*buf;
	size_t		 len;
	size_t		 max;
	int		 too_big;
};

void
fetch_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init failed");
}

void
fetch_cleanup(void)
{
	curl_global_cleanup();
}

static int
is_loopback(const char *host)
{
	if (strcasecmp(host, "localhost") == 0 ||
	    strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0)
		return (1);
	/* 127.0.0.0/8, written as a dotted quad */
	return (strncmp(host, "127.", 4) == 0 &&
	    strspn(host, "0123456789.") == strlen(host));
}

/*
 * May jwksd fetch this URL?  https always; http only to a loopback
 * host unless allow_http.  Returns 0, or -1 with *why.
 */
int
fetch_url_allowed(const char *url, int allow_http, const char **why)
{
	CURLU	*u;
	char	*scheme = NULL, *host = NULL;
	int	 rv = -1;

	if ((u = curl_url()) == NULL) {
		*why = "out of memory";
		return (-1);
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		*why = "not a valid URL";
	else if (strcasecmp(scheme, "https") == 0)
		rv = 0;
	else if (strcasecmp(scheme, "http") != 0)
		*why = "scheme must be https or http";
	else if (allow_http || is_loopback(host))
		rv = 0;
	else
		*why = "http:// only to loopback (set allow_http = yes)";
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return (rv);
}

static size_t
body_cb(char *data, size_t size, size_t n, void *arg)
{
	struct body	*b = arg;
	size_t		 len = size * n;
	char		*nb;

	if (len > b->max - b->len) {
		b->too_big = 1;
		return (0);		/* aborts the transfer */
	}
	if ((nb = realloc(b->buf, b->len + len + 1)) == NULL)
		return (0);
	b->buf = nb;
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
	return (len);
}

/* A header's value, trimmed, or NULL when line is not that header. */
static const char *
header_value(const char *line, size_t len, const char *name, char *out,
    size_t outlen)
{
	size_t	 n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return (NULL);
	line += n + 1;
	len -= n + 1;
	while (len > 0 && isspace((unsigned char)*line))
		line++, len--;
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		len--;
	if (len >= outlen)
		return (NULL);
	memcpy(out, line, len);
	out[len] = '\0';
	return (out);
}

/* max-age from Cache-Control; no-cache and no-store count as 0. */
static long
cache_control(const char *v)
{
	const char	*p;
	long		 n;

	if (strcasestr(v, "no-store") != NULL ||
	    strcasestr(v, "no-cache") != NULL)
		return (0);
	for (p = v; (p = strcasestr(p, "max-age")) != NULL; p += 7) {
		if (p > v && p[-1] != ' ' && p[-1] != ',')
			continue;	/* s-maxage and friends */
		if (p[7] != '=')
			continue;
		n = strtol(p + 8, NULL, 10);
		return (n < 0 ? 0 : n);
	}
	return (-1);
}

static size_t
header_cb(char *data, size_t size, size_t n, void *arg)
{
	struct fetch_reply	*r = arg;
	size_t			 len = size * n;
	char			 v[512];

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		/* a new response (after a redirect): forget the last */
		free(r->etag);
		r->etag = NULL;
		r->max_age = -1;
		r->expires = r->date = -1;
	} else if (header_value(data, len, "ETag", v, sizeof(v)) != NULL) {
		free(r->etag);
		r->etag = strdup(v);
	} else if (header_value(data, len, "Cache-Control", v,
	    sizeof(v)) != NULL)
		r->max_age = cache_control(v);
	else if (header_value(data, len, "Expires", v, sizeof(v)) != NULL)
		r->expires = curl_getdate(v, NULL);
	else if (header_value(data, len, "Date", v, sizeof(v)) != NULL)
		r->date = curl_getdate(v, NULL);
	return (len);
}

/* Set every option of one GET. */
static int
setup(CURL *c, const struct config *conf, const char *url,
    struct curl_slist *hdrs, struct body *b, struct fetch_reply *r,
    char *cerr)
{
	const char	*protos = conf->allow_http ? "http,https" : "https";

	/*
	 * A loopback http URL may redirect only to https (or to http
	 * with allow_http): a redirect cannot reach plain http elsewhere.
	 */
	return (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") ||
	    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, protos) ||
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L) ||
	    curl_easy_setopt(c, CURLOPT_MAXREDIRS, conf->max_redirects) ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
	    conf->connect_timeout) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT, conf->fetch_timeout) ||
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) ||
	    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) ||
	    (conf->ca_file != NULL && conf->ca_file[0] != '\0' &&
	    curl_easy_setopt(c, CURLOPT_CAINFO, conf->ca_file)) ||
	    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)conf->max_document_size) ||
	    curl_easy_setopt(c, CURLOPT_USERAGENT, "jwksd") ||
	    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs) ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, body_cb) ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, b) ||
	    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb) ||
	    curl_easy_setopt(c, CURLOPT_HEADERDATA, r) ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr) ? -1 : 0);
}

/*
 * GET url (If-None-Match: etag when not NULL).  Returns 0 with a 200
 * or 304 reply in r, or -1 with a reason in err (r is then empty).
 */
int
fetch_get(const struct config *conf, const char *url, const char *etag,
    struct fetch_reply *r, char *err, size_t errlen)
{
	CURL			*c;
	CURLcode		 rc;
	struct curl_slist	*hdrs = NULL, *h;
	struct body		 b;
	char			 cerr[CURL_ERROR_SIZE], inm[600];
	const char		*why;

	memset(r, 0, sizeof(*r));
	r->max_age = -1;
	r->expires = r->date = -1;
	memset(&b, 0, sizeof(b));
	b.max = conf->max_document_size;
	cerr[0] = '\0';
	if (fetch_url_allowed(url, conf->allow_http, &why) == -1) {
		snprintf(err, errlen, "%s", why);
		return (-1);
	}
	if ((c = curl_easy_init()) == NULL ||
	    (hdrs = curl_slist_append(NULL, "Accept: application/json")) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (etag != NULL && snprintf(inm, sizeof(inm), "If-None-Match: %s",
	    etag) < (int)sizeof(inm)) {
		if ((h = curl_slist_append(hdrs, inm)) != NULL)
			hdrs = h;
	}
	if (setup(c, conf, url, hdrs, &b, r, cerr) == -1) {
		snprintf(err, errlen, "curl setup failed");
		goto fail;
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (b.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
		snprintf(err, errlen, "document larger than %ld bytes",
		    conf->max_document_size);
		goto fail;
	}
	if (rc != CURLE_OK) {
		snprintf(err, errlen, "%s", cerr[0] ? cerr :
		    curl_easy_strerror(rc));
		goto fail;
	}
	if (r->status != 200 && r->status != 304) {
		snprintf(err, errlen, "HTTP status %ld", r->status);
		goto fail;
	}
	if (r->status == 200 && b.buf == NULL && (b.buf = strdup("")) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	r->body = b.buf;
	r->len = b.len;
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return (0);
 fail:
	free(b.buf);
	fetch_reply_free(r);
	curl_slist_free_all(hdrs);
	if (c != NULL)
		curl_easy_cleanup(c);
	return (-1);
}

void
fetch_reply_free(struct fetch_reply *r)
{
	free(r->body);
	free(r->etag);
	r->body = r->etag = NULL;
	r->len = 0;
}
