/*
 * jwksd's status file (common/jwksstatus.c): a table of files, more bad
 * than good; then a line written and read back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwksstatus.h"
#include "unit.h"

#define H	JWKSSTATUS_HEADER

static const struct {
	const char	*text;
	int		 n;		/* issuers, or -1 */
} files[] = {
	/* good */
	{ H, 0 },
	{ H "issuer local 2 1700000000 1700000900 0\n", 1 },
	{ H "issuer a 0 0 0 7\nissuer b.c-d:e_f 1 1 1 0\n", 2 },
	{ H "issuer x 9999999999999999999 0 0 0\n", 1 },
	/* bad */
	{ "", -1 },
	{ "jwksd-status 2\n", -1 },
	{ "jwksd-status 1", -1 },
	{ "JWKSD-STATUS 1\n", -1 },
	{ H "issuer local 2 1700000000 1700000900 0", -1 },
	{ H "issuer  2 1 1 0\n", -1 },
	{ H "issuer a 2 1 1\n", -1 },
	{ H "issuer a 2 1 1 0 5\n", -1 },
	{ H "issuer a -1 1 1 0\n", -1 },
	{ H "issuer a 01 1 1 0\n", -1 },
	{ H "issuer a 1 1 1 0 \n", -1 },
	{ H "issuer a  1 1 1 0\n", -1 },
	{ H "issuer a b 1 1 0\n", -1 },
	{ H "issuer a\tb 1 1 1 0\n", -1 },
	{ H "issuer a/b 1 1 1 0\n", -1 },
	{ H "issuer a 1 1 1 0\r\n", -1 },
	{ H "Issuer a 1 1 1 0\n", -1 },
	{ H "issuer a 1 99999999999999999999 1 0\n", -1 },
	{ H "issuer a 1 9223372036854775808 1 0\n", -1 },
	{ H "\n", -1 },
	{ H "issuer a 1 1 1 0\n\n", -1 },
	{ H "issuer a 1 1 1 0\nissuer b\n", -1 },
};

int
main(void)
{
	struct jwksstatus	 st[4], w;
	const char		*why;
	char			 line[200], *big;
	size_t			 i, n, o;
	int			 rc;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		why = NULL;
		rc = jwksstatus_parse(files[i].text, strlen(files[i].text), st,
		    4, &why);
		CHECK(rc == files[i].n, "row %zu: %d (%s)", i, rc,
		    why ? why : "-");
		if (rc == -1)
			CHECK(why != NULL, "row %zu: no reason", i);
	}
	rc = jwksstatus_parse(files[2].text, strlen(files[2].text), st, 1,
	    &why);
	CHECK(rc == -1, "more issuers than room");
	/* written and read back; a name made safe */
	memset(&w, 0, sizeof(w));
	snprintf(w.name, sizeof(w.name), "my issuer/1");
	w.keys = 3;
	w.fetched = 1700000000;
	w.next = 1700000900;
	w.failures = 2;
	n = jwksstatus_line(&w, line, sizeof(line));
	CHECK(n > 0 && !strcmp(line,
	    "issuer my_issuer_1 3 1700000000 1700000900 2\n"), "line: %s",
	    line);
	CHECK(jwksstatus_line(&w, line, 10) == 0, "no room");
	big = malloc(JWKSSTATUS_MAX_SIZE + 100);
	o = (size_t)snprintf(big, 100, "%s", H);
	for (i = 0; o + n < JWKSSTATUS_MAX_SIZE + 50; i++)
		o += jwksstatus_line(&w, big + o, 100);
	CHECK(jwksstatus_parse(big, o, st, 4, &why) == -1, "too large");
	free(big);
	return (unit_done("common_jwksstatus"));
}
