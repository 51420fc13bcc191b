# mcpproxyd: a prefork OAuth/CORS proxy for MCP servers, and jwksd.
#
#   make			build both daemons into $(BUILD)/
#   make check		build, then run every test (tests/run)
#   make check-san		the unit tests and SAN_TESTS on an ASan+UBSan build
#   make install		honours PREFIX, DESTDIR, sbindir, sysconfdir, mandir,
#			initdir, defaultsdir, logrotatedir, systemdunitdir
#   make uninstall	removes what install put, not the configuration
#   make install-users	(as root) the service accounts mcpproxyd and jwksd

PREFIX		?= /usr/local
sbindir		?= $(PREFIX)/sbin
sysconfdir	?= $(PREFIX)/etc
mandir		?= $(PREFIX)/share/man
localstatedir	?= /var
# make install: the init script, its settings, the logrotate snippet and
# the systemd units (sysconfdir=/etc puts the first three where Debian
# looks for them)
initdir		?= $(sysconfdir)/init.d
defaultsdir	?= $(sysconfdir)/default
logrotatedir	?= $(sysconfdir)/logrotate.d
systemdunitdir	?= $(PREFIX)/lib/systemd/system
logdir		?= $(localstatedir)/log/mcpproxyd
# the owner logrotate gives a new access log: the workers' user
loguser		?= mcpproxyd

CC		?= cc
CFLAGS		?= -O2 -g
WARNINGS	 = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
		   -Wmissing-prototypes -Wsign-compare -Wpointer-arith \
		   -Wformat=2 -Wwrite-strings -Wundef -Wvla
PKGS		 = openssl jansson libcurl inih
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null)
# mcpproxyd-token alone signs with libjwt; neither daemon links it
TOKEN_LIBS	:= $(shell pkg-config --libs openssl jansson libjwt inih 2>/dev/null)

ifeq ($(SANITIZE),1)
BUILD		?= build-san
CFLAGS		+= -O1 -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=undefined
LDFLAGS		+= -fsanitize=address,undefined
else
BUILD		?= build
endif

ALL_CFLAGS	 = -std=c11 $(WARNINGS) $(CFLAGS) $(PKG_CFLAGS) \
		   -D_GNU_SOURCE -Icommon \
		   -DSYSCONFDIR=\"$(sysconfdir)\" \
		   -DLOCALSTATEDIR=\"$(localstatedir)\"

COMMON_SRCS	:= $(wildcard common/*.c)
PROXY_SRCS	:= $(filter-out mcpproxyd/main.c,$(wildcard mcpproxyd/*.c))
JWKSD_SRCS	:= $(filter-out jwksd/main.c,$(wildcard jwksd/*.c))
TOKEN_SRCS	:= $(wildcard mcpproxyd-token/*.c)

COMMON_OBJS	:= $(COMMON_SRCS:%.c=$(BUILD)/obj/%.o)
PROXY_OBJS	:= $(PROXY_SRCS:%.c=$(BUILD)/obj/%.o)
JWKSD_OBJS	:= $(JWKSD_SRCS:%.c=$(BUILD)/obj/%.o)
TOKEN_OBJS	:= $(TOKEN_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/common/parse.o

# tests/unit/<prog>_<what>.c links with that program's objects
UNIT_SRCS	:= $(wildcard tests/unit/*_*.c)
UNIT_BINS	:= $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BUILD)/mcpproxyd $(BUILD)/jwksd $(BUILD)/mcpproxyd-token $(UNIT_BINS)

$(BUILD)/obj/%.o: %.c $(wildcard common/*.h mcpproxyd/*.h jwksd/*.h \
    mcpproxyd-token/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/mcpproxyd: $(BUILD)/obj/mcpproxyd/main.o $(PROXY_OBJS) $(COMMON_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/jwksd: $(BUILD)/obj/jwksd/main.o $(JWKSD_OBJS) $(COMMON_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/mcpproxyd-token: $(TOKEN_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(TOKEN_LIBS)

$(BUILD)/tests/mcpproxyd_%: $(BUILD)/obj/tests/unit/mcpproxyd_%.o $(PROXY_OBJS) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/jwksd_%: $(BUILD)/obj/tests/unit/jwksd_%.o $(JWKSD_OBJS) $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/common_%: $(BUILD)/obj/tests/unit/common_%.o $(COMMON_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

check: all
	BUILD=$(BUILD) tests/run

# The sanitizer build runs every unit test and the integration tests
# below: those that drive the daemons' C code with the most varied and
# hostile input (parsers, TLS, tokens, rules, lists, rate limits, the
# waiting room's rules, faults).  The rest (browsers, install and docs,
# load and timing runs) prove behaviour the plain build's run proves,
# and under ASan would take CI past half an hour.  make check-san
# SAN_TESTS= runs them all.
SAN_TESTS	= 10-proxy-http.t 19-service-tokens.t 21-tls-listen.t \
		  24-tls-upstream.t 29-tls-handshake-timeout.t 51-auth-tokens.t \
		  54-canonical-differential.t 61-authz-sdk.t 62-mcp-2026.t \
		  64-health.t 65-rate-limits.t 66-waitroom-rules.t \
		  68-list-filter.t 80-hostile-requests.t 81-hostile-responses.t
check-san:
	TESTS_ONLY="$(SAN_TESTS)" $(MAKE) SANITIZE=1 check

# The paths make install writes into the init script, the settings file,
# the logrotate snippet, the systemd units and the man pages.
SUBST		 = sed -e 's|@sbindir@|$(sbindir)|g' \
		   -e 's|@sysconfdir@|$(sysconfdir)|g' \
		   -e 's|@initdir@|$(initdir)|g' \
		   -e 's|@defaultsdir@|$(defaultsdir)|g' \
		   -e 's|@logrotatedir@|$(logrotatedir)|g' \
		   -e 's|@logdir@|$(logdir)|g' \
		   -e 's|@loguser@|$(loguser)|g'
# the man pages say /usr/local/... and /etc/... (the defaults)
MANSUBST	 = sed -e 's|/usr/local/etc/mcpproxyd/|$(sysconfdir)/mcpproxyd/|g' \
		   -e 's|/usr/local/etc/mcpproxyd-oauth\.conf|$(sysconfdir)/mcpproxyd/mcpproxyd-oauth.conf|g' \
		   -e 's|/usr/local/sbin/|$(sbindir)/|g' \
		   -e 's|/usr/local/etc/init\.d/mcpproxyd|$(initdir)/mcpproxyd|g' \
		   -e 's|/usr/local/etc/default/mcpproxyd|$(defaultsdir)/mcpproxyd|g' \
		   -e 's|/usr/local/etc/logrotate\.d/mcpproxyd|$(logrotatedir)/mcpproxyd|g' \
		   -e 's|\([[:space:]]\)/etc/init\.d/mcpproxyd|\1$(initdir)/mcpproxyd|g' \
		   -e 's|\([[:space:]]\)/etc/default/mcpproxyd|\1$(defaultsdir)/mcpproxyd|g' \
		   -e 's|\([[:space:]]\)/etc/logrotate\.d/mcpproxyd|\1$(logrotatedir)/mcpproxyd|g'
CONF_EXAMPLES	 = mcpproxyd.conf mcpproxyd-oauth.conf mcpproxyd-local.conf
SYSTEMD_UNITS	 = mcpproxyd.service jwksd.service

install: $(BUILD)/mcpproxyd $(BUILD)/jwksd $(BUILD)/mcpproxyd-token
	install -d $(DESTDIR)$(sbindir) $(DESTDIR)$(sysconfdir)/mcpproxyd \
	    $(DESTDIR)$(mandir)/man5 $(DESTDIR)$(mandir)/man8 \
	    $(DESTDIR)$(initdir) $(DESTDIR)$(defaultsdir) \
	    $(DESTDIR)$(logrotatedir) $(DESTDIR)$(systemdunitdir)
	install -m 755 $(BUILD)/mcpproxyd $(BUILD)/jwksd \
	    $(BUILD)/mcpproxyd-token $(DESTDIR)$(sbindir)
	@grep -qF '$(sysconfdir)/mcpproxyd/mcpproxyd.conf' $(BUILD)/mcpproxyd || \
	    echo "make install: warning: $(BUILD)/mcpproxyd was built with" \
	        "another sysconfdir: its default -f is not" \
	        "$(sysconfdir)/mcpproxyd/mcpproxyd.conf (make clean, then" \
	        "make and make install with the same settings)" >&2
	for f in man/*.5; do \
	    $(MANSUBST) $$f >$(DESTDIR)$(mandir)/man5/$${f#man/} && \
	    chmod 644 $(DESTDIR)$(mandir)/man5/$${f#man/} || exit 1; \
	done
	for f in man/*.8; do \
	    $(MANSUBST) $$f >$(DESTDIR)$(mandir)/man8/$${f#man/} && \
	    chmod 644 $(DESTDIR)$(mandir)/man8/$${f#man/} || exit 1; \
	done
	@# the operator's configuration is never overwritten
	for f in $(CONF_EXAMPLES); do \
	    t=$(DESTDIR)$(sysconfdir)/mcpproxyd/$$f; \
	    if [ -e $$t ]; then echo "  kept $$t"; \
	    else install -m 644 etc/$$f $$t || exit 1; fi; \
	done
	t=$(DESTDIR)$(defaultsdir)/mcpproxyd; \
	if [ -e $$t ]; then echo "  kept $$t"; \
	else $(SUBST) etc/default/mcpproxyd >$$t && chmod 644 $$t; fi
	$(SUBST) etc/init.d/mcpproxyd >$(DESTDIR)$(initdir)/mcpproxyd
	chmod 755 $(DESTDIR)$(initdir)/mcpproxyd
	$(SUBST) etc/logrotate.d/mcpproxyd >$(DESTDIR)$(logrotatedir)/mcpproxyd
	chmod 644 $(DESTDIR)$(logrotatedir)/mcpproxyd
	for f in $(SYSTEMD_UNITS); do \
	    $(SUBST) etc/systemd/$$f >$(DESTDIR)$(systemdunitdir)/$$f && \
	    chmod 644 $(DESTDIR)$(systemdunitdir)/$$f || exit 1; \
	done

# Everything install put, except the configuration: the files in
# $(sysconfdir)/mcpproxyd/ and $(defaultsdir)/mcpproxyd stay.
uninstall:
	rm -f $(DESTDIR)$(sbindir)/mcpproxyd $(DESTDIR)$(sbindir)/jwksd \
	    $(DESTDIR)$(sbindir)/mcpproxyd-token
	for f in man/*.5; do rm -f $(DESTDIR)$(mandir)/man5/$${f#man/}; done
	for f in man/*.8; do rm -f $(DESTDIR)$(mandir)/man8/$${f#man/}; done
	rm -f $(DESTDIR)$(initdir)/mcpproxyd $(DESTDIR)$(logrotatedir)/mcpproxyd
	for f in $(SYSTEMD_UNITS); do rm -f $(DESTDIR)$(systemdunitdir)/$$f; done
	@echo "make uninstall: kept the configuration:" \
	    "$(DESTDIR)$(sysconfdir)/mcpproxyd/ and $(DESTDIR)$(defaultsdir)/mcpproxyd"

# The service accounts, as root: group and user mcpproxyd (the workers),
# user jwksd (jwksd adds the group mcpproxyd to itself, for the key file),
# both system users without a login; the access log's directory.
# Does nothing to an account that exists.
NOLOGIN		 = $$(command -v nologin || echo /usr/sbin/nologin)
install-users:
	@[ "$$(id -u)" = 0 ] || { echo "make install-users: run as root" >&2; exit 1; }
	getent group mcpproxyd >/dev/null || groupadd --system mcpproxyd
	getent passwd mcpproxyd >/dev/null || useradd --system --gid mcpproxyd \
	    --home-dir /nonexistent --no-create-home --shell $(NOLOGIN) \
	    --comment "mcpproxyd workers" mcpproxyd
	getent passwd jwksd >/dev/null || useradd --system --user-group \
	    --home-dir /nonexistent --no-create-home --shell $(NOLOGIN) \
	    --comment "jwksd key fetcher" jwksd
	install -d -m 755 -o root -g adm $(DESTDIR)$(logdir)

clean:
	rm -rf build build-san

.PHONY: all check check-san install uninstall install-users clean

# --- fuzzing: libFuzzer targets fuzz/fuzz_*.c, clang, ASan+UBSan ----------
#   make fuzz [FUZZ_SECONDS=60]	each target for a bounded time; new inputs
#				go to $(BUILD)/fuzz/new/<target>/, crashes to
#				$(BUILD)/fuzz/crash/ (FUZZ_MERGE=1: merge the
#				new inputs into fuzz/corpus/ afterwards)
#   make fuzz-<target>		one of them (make -j2 fuzz runs two at once)
#   make fuzz-replay		every committed corpus once (-runs=0)
# Each target is compiled from the sources it needs, not the gcc objects.
FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_ARGS	?=
FUZZ_CFLAGS	 = -std=c11 -g -O1 -fno-omit-frame-pointer \
		   -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=undefined -Wall -Wextra \
		   $(PKG_CFLAGS) -D_GNU_SOURCE -Icommon \
		   -DSYSCONFDIR=\"$(sysconfdir)\" \
		   -DLOCALSTATEDIR=\"$(localstatedir)\"
FUZZ_TARGETS	:= $(patsubst fuzz/fuzz_%.c,%,$(wildcard fuzz/fuzz_*.c))
FUZZ_BINS	:= $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz_%)
FUZZ_RUN	 = ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1} \
		   UBSAN_OPTIONS=$${UBSAN_OPTIONS:-print_stacktrace=1}

$(BUILD)/fuzz/fuzz_http_request: mcpproxyd/http.c
$(BUILD)/fuzz/fuzz_http_response: mcpproxyd/http.c
$(BUILD)/fuzz/fuzz_chunked: mcpproxyd/chunked.c
$(BUILD)/fuzz/fuzz_path: mcpproxyd/path.c
$(BUILD)/fuzz/fuzz_jwk: jwksd/jwk.c jwksd/fetch.c common/keyfile.c common/digest.c
$(BUILD)/fuzz/fuzz_keyfile: common/keyfile.c common/digest.c
$(BUILD)/fuzz/fuzz_token: mcpproxyd/token.c common/keyfile.c common/digest.c
$(BUILD)/fuzz/fuzz_jsonrpc: mcpproxyd/jsonrpc.c mcpproxyd/mcphdr.c
$(BUILD)/fuzz/fuzz_listfilter: mcpproxyd/listfilter.c mcpproxyd/jsonrpc.c
# policy_keep counts the tools a list names (metrics.c)
$(BUILD)/fuzz/fuzz_policy: mcpproxyd/policy.c mcpproxyd/claims.c \
    mcpproxyd/metrics.c mcpproxyd/jsonrpc.c common/log.c
# the whole decision: auth.c with every object a worker links
$(BUILD)/fuzz/fuzz_auth: $(PROXY_SRCS) $(COMMON_SRCS)
$(FUZZ_BINS): $(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c \
    $(wildcard common/*.h mcpproxyd/*.h jwksd/*.h fuzz/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz-replay: $(FUZZ_BINS)
	@for t in $(FUZZ_TARGETS); do \
	    echo "  REPLAY  fuzz/corpus/$$t ($$(ls fuzz/corpus/$$t | wc -l) inputs)"; \
	    $(FUZZ_RUN) $(BUILD)/fuzz/fuzz_$$t -runs=0 fuzz/corpus/$$t \
	        >$(BUILD)/fuzz/replay-$$t.log 2>&1 || \
	        { tail -n 40 $(BUILD)/fuzz/replay-$$t.log; exit 1; }; \
	done

fuzz: $(FUZZ_TARGETS:%=fuzz-%)

fuzz-%: $(BUILD)/fuzz/fuzz_%
	@mkdir -p $(BUILD)/fuzz/new/$* $(BUILD)/fuzz/crash
	@echo "  FUZZ    $* for $(FUZZ_SECONDS)s: log in $(BUILD)/fuzz/fuzz-$*.log"
	@$(FUZZ_RUN) $< -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -print_final_stats=1 -artifact_prefix=$(BUILD)/fuzz/crash/$*- \
	    $(if $(wildcard fuzz/$*.dict),-dict=fuzz/$*.dict) $(FUZZ_ARGS) \
	    $(BUILD)/fuzz/new/$* fuzz/corpus/$* >$(BUILD)/fuzz/fuzz-$*.log 2>&1; \
	rc=$$?; grep -E '^(stat::|Done|==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' \
	    $(BUILD)/fuzz/fuzz-$*.log | sed 's/^/    $*: /'; exit $$rc
	@if [ "$(FUZZ_MERGE)" = 1 ]; then \
	    $(BUILD)/fuzz/fuzz_$* -merge=1 fuzz/corpus/$* $(BUILD)/fuzz/new/$*; fi

.PHONY: fuzz fuzz-build fuzz-replay

# The benchmark against nginx, HAProxy and Apache (bench/README); not part
# of make check.  BENCH_QUICK=1 make bench: a 2 s smoke run.
bench: all
	bench/run

.PHONY: bench
