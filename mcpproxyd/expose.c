/*
 * The Prometheus text exposition format, version 0.0.4: "# HELP" and
 * "# TYPE" lines, then one sample a line, name{label="value",...} value.
 * Label values are escaped as the format asks (backslash, double quote,
 * line feed) and made valid UTF-8 (a byte that is not is written '?'),
 * so that no name a backend or a configuration holds can break a line.
 * The output is bounded: past its cap, samples are left out and the
 * buffer says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* A buffer of at most cap bytes.  Returns 0, or -1 out of memory. */
int
expose_init(struct expbuf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	if ((b->p = malloc(cap)) == NULL)
		return (-1);
	b->cap = cap;
	return (0);
}

/* Append len bytes, or mark the buffer full (nothing partial). */
static void
put(struct expbuf *b, const char *s, size_t len)
{
	if (b->full || len > b->cap - b->len) {
		b->full = 1;
		return;
	}
	memcpy(b->p + b->len, s, len);
	b->len += len;
}

/* The length of the valid UTF-8 sequence at s (of n bytes), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t		 len, i;
	unsigned int	 cp;

	if (s[0] < 0x80)
		return (1);
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return (0);
	if (len > n)
		return (0);
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return (0);
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return (0);
	return (len);
}

/*
 * Escape in as a label value into out (outlen > 0, NUL-terminated),
 * cut at a whole character when out is short.  Returns the length.
 */
size_t
expose_label_value(char *out, size_t outlen, const char *in)
{
	const unsigned char	*s = (const unsigned char *)in;
	size_t			 o = 0, n = strlen(in), k, i;

	for (i = 0; i < n; i += k) {
		const char	*rep = NULL;

		k = utf8_len(s + i, n - i);
		if (k == 0) {
			k = 1;
			rep = "?";
		} else if (s[i] == '\\')
			rep = "\\\\";
		else if (s[i] == '"')
			rep = "\\\"";
		else if (s[i] == '\n')
			rep = "\\n";
		else if (s[i] < 0x20 || s[i] == 0x7f)
			rep = "?";
		if (rep != NULL) {
			if (o + strlen(rep) >= outlen)
				break;
			memcpy(out + o, rep, strlen(rep));
			o += strlen(rep);
		} else {
			if (o + k >= outlen)
				break;
			memcpy(out + o, s + i, k);
			o += k;
		}
	}
	out[o] = '\0';
	return (o);
}

/* Is name a metric or label name ([a-zA-Z_:][a-zA-Z0-9_:]*)? */
int
expose_metric_name_ok(const char *name)
{
	size_t	 i;

	if (name == NULL || name[0] == '\0' || (name[0] >= '0' &&
	    name[0] <= '9'))
		return (0);
	for (i = 0; name[i] != '\0'; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '_' ||
		    name[i] == ':'))
			return (0);
	return (1);
}

/* The HELP and TYPE lines of a family. */
void
expose_family(struct expbuf *b, const char *name, const char *type,
    const char *help)
{
	char	 line[512];
	int	 n;

	n = snprintf(line, sizeof(line), "# HELP %s %s\n# TYPE %s %s\n",
	    name, help, name, type);
	if (n > 0 && (size_t)n < sizeof(line))
		put(b, line, (size_t)n);
}

/*
 * One sample: name, nlabels (name, value) pairs in labels (values
 * escaped here), and the value's text.  A sample that does not fit
 * is left out whole.
 */
void
expose_sample(struct expbuf *b, const char *name, const char *const *labels,
    size_t nlabels, const char *value)
{
	char	 line[2048], v[4 * METRICS_NAME_MAX + 8];
	size_t	 i, o;
	int	 n;

	o = (size_t)snprintf(line, sizeof(line), "%s", name);
	for (i = 0; i < nlabels && o < sizeof(line); i++) {
		expose_label_value(v, sizeof(v), labels[2 * i + 1]);
		n = snprintf(line + o, sizeof(line) - o, "%s%s=\"%s\"",
		    i == 0 ? "{" : ",", labels[2 * i], v);
		if (n < 0)
			return;
		o += (size_t)n;
	}
	if (o < sizeof(line) && nlabels > 0)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "}");
	if (o < sizeof(line))
		o += (size_t)snprintf(line + o, sizeof(line) - o, " %s\n",
		    value);
	if (o >= sizeof(line)) {
		b->full = 1;
		return;
	}
	put(b, line, o);
}

/* A sample with an unsigned integer value. */
void
expose_u64(struct expbuf *b, const char *name, const char *const *labels,
    size_t nlabels, uint64_t v)
{
	char	 num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	expose_sample(b, name, labels, nlabels, num);
}

/* A sample with a real value (9 digits: a sum of microseconds). */
void
expose_double(struct expbuf *b, const char *name, const char *const *labels,
    size_t nlabels, double v)
{
	char	 num[40];

	snprintf(num, sizeof(num), "%.9g", v);
	expose_sample(b, name, labels, nlabels, num);
}
