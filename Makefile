# mcpproxyd: a prefork OAuth/CORS proxy for MCP servers, and jwksd.
#
#   make			build both daemons into $(BUILD)/
#   make check		build, then run every test (tests/run)
#   make check-san		the same tests on an ASan+UBSan build
#   make install		honours PREFIX, DESTDIR, sbindir, sysconfdir, mandir

PREFIX		?= /usr/local
sbindir		?= $(PREFIX)/sbin
sysconfdir	?= $(PREFIX)/etc
mandir		?= $(PREFIX)/share/man
localstatedir	?= /var

CC		?= cc
CFLAGS		?= -O2 -g
WARNINGS	 = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
		   -Wmissing-prototypes -Wsign-compare -Wpointer-arith \
		   -Wformat=2 -Wwrite-strings -Wundef -Wvla
PKGS		 = openssl libjwt jansson libcurl inih
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null)

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

COMMON_OBJS	:= $(COMMON_SRCS:%.c=$(BUILD)/obj/%.o)
PROXY_OBJS	:= $(PROXY_SRCS:%.c=$(BUILD)/obj/%.o)
JWKSD_OBJS	:= $(JWKSD_SRCS:%.c=$(BUILD)/obj/%.o)

# tests/unit/<prog>_<what>.c links with that program's objects
UNIT_SRCS	:= $(wildcard tests/unit/*_*.c)
UNIT_BINS	:= $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

all: $(BUILD)/mcpproxyd $(BUILD)/jwksd $(UNIT_BINS)

$(BUILD)/obj/%.o: %.c $(wildcard common/*.h mcpproxyd/*.h jwksd/*.h)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/mcpproxyd: $(BUILD)/obj/mcpproxyd/main.o $(PROXY_OBJS) $(COMMON_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/jwksd: $(BUILD)/obj/jwksd/main.o $(JWKSD_OBJS) $(COMMON_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

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

check-san:
	$(MAKE) SANITIZE=1 check

install: $(BUILD)/mcpproxyd $(BUILD)/jwksd
	install -d $(DESTDIR)$(sbindir) $(DESTDIR)$(sysconfdir) \
	    $(DESTDIR)$(mandir)/man5 $(DESTDIR)$(mandir)/man8 \
	    $(DESTDIR)$(sysconfdir)/init.d
	install -m 755 $(BUILD)/mcpproxyd $(BUILD)/jwksd $(DESTDIR)$(sbindir)
	install -m 644 man/*.5 $(DESTDIR)$(mandir)/man5
	install -m 644 man/*.8 $(DESTDIR)$(mandir)/man8
	for f in etc/*.conf; do \
	    t=$(DESTDIR)$(sysconfdir)/$${f#etc/}; \
	    [ -e $$t ] || install -m 644 $$f $$t; \
	done

clean:
	rm -rf build build-san

.PHONY: all check check-san install clean
