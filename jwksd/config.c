/*
 * The configuration: jwksd's part of the INI file shared with
 * mcpproxyd.  jwksd owns [jwksd] and shares [issuer NAME], whose keys
 * both readers take from common/issuerkeys.c (mcpproxyd's are accepted
 * and ignored); [mcpproxyd], [server NAME] and [auth NAME] belong to
 * mcpproxyd and are skipped whole.  Anything else is an error reported
 * as "file:line: why".
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "jwksd.h"
#include "issuerkeys.h"
#include "parse.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/var"
#endif

enum section { SEC_NONE, SEC_JWKSD, SEC_ISSUER, SEC_FOREIGN, SEC_BAD };

struct parse {
	struct config	*conf;
	FILE		*fp;
	int		 line;
	enum section	 sec;
	struct issuer	*cur;		/* in SEC_ISSUER */
	unsigned int	 seen;		/* [jwksd] keys set, a bit each */
	unsigned int	 iseen;		/* current issuer's keys */
	int		 klines[32];	/* line of each [jwksd] key set */
	int		 failed;
	char		*err;
	size_t		 errlen;
};

static void	 perr(struct parse *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Record the first error as "file:line: why". */
static void
perr(struct parse *p, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	if (p->failed++)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s:%d: %s", p->conf->path, p->line, msg);
}

static int
valid_name(const char *s)
{
	size_t	 n = 0;

	for (; *s != '\0'; s++, n++)
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return (0);
	return (n > 0 && n <= KEYFILE_NAME_MAX);
}

/* Start a section seen on a "[...]" line. */
static void
section_start(struct parse *p, const char *name)
{
	struct issuer	**v, *iss;
	const char	*nm;
	size_t		 i;

	p->cur = NULL;
	p->iseen = 0;
	if (strcmp(name, "jwksd") == 0) {
		p->sec = SEC_JWKSD;
		return;
	}
	if (strcmp(name, "mcpproxyd") == 0 ||
	    strncmp(name, "server ", 7) == 0 ||
	    strncmp(name, "auth ", 5) == 0 ||
	    strncmp(name, "policy ", 7) == 0 ||
	    strncmp(name, "ratelimit ", 10) == 0) {
		p->sec = SEC_FOREIGN;
		return;
	}
	p->sec = SEC_BAD;
	if (strncmp(name, "issuer ", 7) != 0) {
		perr(p, "unknown section [%s]", name);
		return;
	}
	nm = name + 7;
	if (!valid_name(nm)) {
		perr(p, "bad issuer name \"%s\" (letters, digits, . _ -; "
		    "at most %d)", nm, KEYFILE_NAME_MAX);
		return;
	}
	for (i = 0; i < p->conf->nissuers; i++)
		if (strcmp(p->conf->issuers[i]->name, nm) == 0) {
			perr(p, "issuer %s defined twice", nm);
			return;
		}
	if (p->conf->nissuers >= KEYFILE_MAX_ISSUERS) {
		perr(p, "too many issuers");
		return;
	}
	v = reallocarray(p->conf->issuers, p->conf->nissuers + 1,
	    sizeof(*v));
	if (v == NULL || (iss = calloc(1, sizeof(*iss))) == NULL ||
	    (iss->name = strdup(nm)) == NULL) {
		if (v != NULL)
			p->conf->issuers = v;
		perr(p, "out of memory");
		return;
	}
	p->conf->issuers = v;
	v[p->conf->nissuers++] = iss;
	iss->line = p->line;
	p->cur = iss;
	p->sec = SEC_ISSUER;
}

/*
 * inih's line reader, wrapped to count lines (for file:line errors)
 * and to see every section header, including empty sections.
 */
static char *
reader(char *str, int num, void *stream)
{
	struct parse	*p = stream;
	char		*s, *end, name[256];
	size_t		 n;

	if (fgets(str, num, p->fp) == NULL)
		return (NULL);
	p->line++;
	if (str[0] != '[')
		return (str);
	if ((end = strchr(str, ']')) == NULL) {
		perr(p, "syntax error: section header without ]");
		p->sec = SEC_BAD;
		return (str);
	}
	s = str + 1;
	while (isspace((unsigned char)*s))
		s++;
	n = end - s;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, s, n);
	name[n] = '\0';
	section_start(p, name);
	return (str);
}

static int
parse_bool(const char *v, int *out)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 ||
	    strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0)
		*out = 1;
	else if (strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ||
	    strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0)
		*out = 0;
	else
		return (-1);
	return (0);
}

static int
set_str(struct parse *p, char **dst, const char *v)
{
	free(*dst);
	if ((*dst = strdup(v)) == NULL) {
		perr(p, "out of memory");
		return (0);
	}
	return (1);
}

enum vtype { V_STR, V_BOOL, V_TIME, V_SIZE, V_INT };

static const struct jwksd_key {
	const char	*name;
	enum vtype	 type;
	size_t		 off;
	long		 min, max;
} jwksd_keys[] = {
#define O(f)	offsetof(struct config, f)
	{ "user",		V_STR,	O(user), 0, 0 },
	{ "group",		V_STR,	O(group), 0, 0 },
	{ "pid_file",		V_STR,	O(pid_file), 0, 0 },
	{ "key_file",		V_STR,	O(key_file), 0, 0 },
	{ "control_socket",	V_STR,	O(control_socket), 0, 0 },
	{ "ca_file",		V_STR,	O(ca_file), 0, 0 },
	{ "allow_http",		V_BOOL,	O(allow_http), 0, 1 },
	{ "connect_timeout",	V_TIME,	O(connect_timeout), 1, 300 },
	{ "fetch_timeout",	V_TIME,	O(fetch_timeout), 1, 600 },
	{ "max_document_size",	V_SIZE,	O(max_document_size), 1024,
	    16 * 1024 * 1024 },
	{ "max_redirects",	V_INT,	O(max_redirects), 0, 10 },
	{ "refresh_default",	V_TIME,	O(refresh_default), 60, 7 * 86400 },
	{ "refresh_min",	V_TIME,	O(refresh_min), 60, 7 * 86400 },
	{ "refresh_max",	V_TIME,	O(refresh_max), 60, 7 * 86400 },
	{ "hard_expiry",	V_TIME,	O(hard_expiry), 120, 30 * 86400 },
	{ "miss_debounce",	V_TIME,	O(miss_debounce), 1, 3600 },
#undef O
};
#define NJWKSD_KEYS	(sizeof(jwksd_keys) / sizeof(jwksd_keys[0]))

/* One key of [jwksd]. */
static int
jwksd_key(struct parse *p, const char *name, const char *v)
{
	const struct jwksd_key	*k = NULL;
	char			*base = (char *)p->conf;
	long long		 n;
	int			 b;
	size_t			 i;

	for (i = 0; i < NJWKSD_KEYS && k == NULL; i++)
		if (strcmp(jwksd_keys[i].name, name) == 0)
			k = &jwksd_keys[i];
	if (k == NULL) {
		perr(p, "unknown key \"%s\" in [jwksd]", name);
		return (0);
	}
	i = k - jwksd_keys;
	if (p->seen & (1U << i)) {
		perr(p, "%s set twice", name);
		return (0);
	}
	p->seen |= 1U << i;
	p->klines[i] = p->line;
	switch (k->type) {
	case V_STR:
		if (*v == '\0' && strcmp(name, "group") != 0 &&
		    strcmp(name, "user") != 0 && strcmp(name, "ca_file") != 0) {
			perr(p, "%s: empty value", name);
			return (0);
		}
		return (set_str(p, (char **)(base + k->off), v));
	case V_BOOL:
		if (parse_bool(v, &b) == -1) {
			perr(p, "%s: expected yes or no, not \"%s\"", name, v);
			return (0);
		}
		*(int *)(base + k->off) = b;
		return (1);
	case V_TIME:
	case V_SIZE:
	case V_INT:
		/* a duration is at most a year */
		if ((k->type == V_SIZE ? parse_size(v, 0, LONG_MAX, &n) :
		    k->type == V_TIME ? parse_duration(v, 0, 365L * 86400, &n) :
		    parse_int(v, 0, LONG_MAX, &n)) == -1) {
			perr(p, "%s: bad value \"%s\"", name, v);
			return (0);
		}
		if (n < k->min || n > k->max) {
			perr(p, "%s: %lld out of range %ld..%ld", name, n,
			    k->min, k->max);
			return (0);
		}
		*(long *)(base + k->off) = n;
		return (1);
	}
	return (1);
}

/* One key of [issuer NAME]. */
static int
issuer_key(struct parse *p, const char *name, const char *v)
{
	static const char *const used[] = {
		"issuer", "jwks_url", "jwks_file", NULL
	};
	struct issuer	*iss = p->cur;
	const char	*key = name;
	size_t		 i;

	if (strcmp(name, "provider") == 0) {
		/* keycloak: jwksd also publishes its discovery document */
		if (strcmp(v, "generic") != 0 && strcmp(v, "keycloak") != 0) {
			perr(p, "provider: \"%s\" is not generic or keycloak",
			    v);
			return (0);
		}
		iss->keycloak = strcmp(v, "keycloak") == 0;
		return (1);
	}
	/* agentgateway spelling: "jwks" is a URL or a file */
	if (strcmp(name, "jwks") == 0)
		key = strncmp(v, "http://", 7) == 0 ||
		    strncmp(v, "https://", 8) == 0 ? "jwks_url" : "jwks_file";
	for (i = 0; used[i] != NULL; i++)
		if (strcmp(used[i], key) == 0)
			break;
	if (used[i] == NULL) {
		if (issuer_key_users(name) != 0)
			return (1);	/* mcpproxyd's */
		perr(p, "unknown key \"%s\" in [issuer %s]", name, iss->name);
		return (0);
	}
	if (p->iseen & (1U << i)) {
		perr(p, "%s set twice in [issuer %s]", key, iss->name);
		return (0);
	}
	p->iseen |= 1U << i;
	if (*v == '\0') {
		perr(p, "%s: empty value", name);
		return (0);
	}
	iss->line = i == 0 ? p->line : iss->line;
	if (i == 0)
		return (set_str(p, &iss->issuer, v));
	if (i == 1)
		return (set_str(p, &iss->jwks_url, v));
	return (set_str(p, &iss->jwks_file, v));
}

static int
handler(void *user, const char *section, const char *name,
    const char *value)
{
	struct parse	*p = user;

	(void)section;		/* the reader already classified it */
	switch (p->sec) {
	case SEC_NONE:
		perr(p, "\"%s\" outside of any section", name);
		return (0);
	case SEC_FOREIGN:
		return (1);
	case SEC_BAD:
		return (0);	/* reported at the section line */
	case SEC_JWKSD:
		return (jwksd_key(p, name, value));
	case SEC_ISSUER:
		return (issuer_key(p, name, value));
	}
	return (0);
}

static int
set_defaults(struct config *c)
{
	c->user = strdup("jwksd");
	c->pid_file = strdup("/run/jwksd.pid");
	c->key_file = strdup(LOCALSTATEDIR "/lib/jwksd/keys");
	c->control_socket = strdup("/run/jwksd.sock");
	c->connect_timeout = 5;
	c->fetch_timeout = 10;
	c->max_document_size = 1024 * 1024;
	c->max_redirects = 3;
	c->refresh_default = 900;
	c->refresh_min = 60;
	c->refresh_max = 86400;
	c->hard_expiry = 86400;
	c->miss_debounce = 10;
	return (c->user && c->pid_file && c->key_file && c->control_socket ?
	    0 : -1);
}

/* The last line among the [jwksd] keys named (0 when none was set). */
static int
last_line(struct parse *p, const char *const *names)
{
	size_t	 i, j;
	int	 line = 0;

	for (i = 0; names[i] != NULL; i++)
		for (j = 0; j < NJWKSD_KEYS; j++)
			if (strcmp(jwksd_keys[j].name, names[i]) == 0 &&
			    p->klines[j] > line)
				line = p->klines[j];
	return (line);
}

/*
 * Checks that need the whole file; errors point at the last key
 * involved, or at the issuer's section.
 */
static void
check_conf(struct parse *p)
{
	struct config	*c = p->conf;
	struct issuer	*iss;
	const char	*why;
	size_t		 i;

	static const char *const refresh[] = { "refresh_min",
	    "refresh_default", "refresh_max", NULL };
	static const char *const expiry[] = { "refresh_min", "hard_expiry",
	    NULL };
	static const char *const paths[] = { "key_file", "control_socket",
	    NULL };

	if (c->refresh_min > c->refresh_default ||
	    c->refresh_default > c->refresh_max) {
		p->line = last_line(p, refresh);
		perr(p, "need refresh_min <= refresh_default <= refresh_max");
	}
	if (c->hard_expiry < 2 * c->refresh_min) {
		p->line = last_line(p, expiry);
		perr(p, "hard_expiry must be at least twice refresh_min");
	}
	if (c->key_file[0] != '/' || c->control_socket[0] != '/') {
		p->line = last_line(p, paths);
		perr(p, "key_file and control_socket must be absolute paths");
	}
	for (i = 0; i < c->nissuers && !p->failed; i++) {
		iss = c->issuers[i];
		p->line = iss->line;
		if (iss->issuer == NULL)
			perr(p, "[issuer %s]: issuer is missing", iss->name);
		else if (iss->jwks_url != NULL && iss->jwks_file != NULL)
			perr(p, "[issuer %s]: both jwks_url and jwks_file",
			    iss->name);
		else if (iss->jwks_file == NULL &&
		    fetch_url_allowed(iss->issuer, c->allow_http, &why) == -1)
			perr(p, "[issuer %s]: issuer %s: %s", iss->name,
			    iss->issuer, why);
		else if (iss->jwks_url != NULL &&
		    fetch_url_allowed(iss->jwks_url, c->allow_http, &why) == -1)
			perr(p, "[issuer %s]: jwks_url %s: %s", iss->name,
			    iss->jwks_url, why);
		else if (strlen(iss->issuer) > KEYFILE_URL_MAX ||
		    strchr(iss->issuer, '\n') != NULL)
			perr(p, "[issuer %s]: issuer too long", iss->name);
		else if (config_find_issuer(c, iss->issuer) != iss)
			perr(p, "[issuer %s]: same issuer URL as another",
			    iss->name);
	}
}

int
config_load(const char *path, struct config **out, char *err,
    size_t errlen)
{
	struct parse	 p;
	struct config	*c;
	int		 rv;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(path)) == NULL || set_defaults(c) == -1) {
		snprintf(err, errlen, "%s: out of memory", path);
		config_free(c);
		return (-1);
	}
	memset(&p, 0, sizeof(p));
	p.conf = c;
	p.err = err;
	p.errlen = errlen;
	if ((p.fp = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		config_free(c);
		return (-1);
	}
	rv = ini_parse_stream(reader, &p, handler, &p);
	fclose(p.fp);
	if (rv > 0 && !p.failed) {
		p.line = rv;
		perr(&p, "syntax error");
	}
	if (!p.failed)
		check_conf(&p);
	if (p.failed) {
		config_free(c);
		return (-1);
	}
	*out = c;
	return (0);
}

void
config_free(struct config *c)
{
	struct issuer	*iss;
	size_t		 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nissuers; i++) {
		iss = c->issuers[i];
		free(iss->name);
		free(iss->issuer);
		free(iss->jwks_url);
		free(iss->jwks_file);
		free(iss->jwks_uri);
		free(iss->metadata);
		free(iss->etag);
		jwkset_free(&iss->keys);
		free(iss);
	}
	free(c->issuers);
	free(c->path);
	free(c->user);
	free(c->group);
	free(c->pid_file);
	free(c->key_file);
	free(c->control_socket);
	free(c->ca_file);
	free(c);
}

/* The issuer with this URL, or else this section name; NULL if none. */
struct issuer *
config_find_issuer(const struct config *c, const char *s)
{
	size_t	 i;

	for (i = 0; i < c->nissuers; i++)
		if (c->issuers[i]->issuer != NULL &&
		    strcmp(c->issuers[i]->issuer, s) == 0)
			return (c->issuers[i]);
	for (i = 0; i < c->nissuers; i++)
		if (strcmp(c->issuers[i]->name, s) == 0)
			return (c->issuers[i]);
	return (NULL);
}
