# Portcullis — non-recursive build.
#
#   make            build/portcullisd and build/portcullis
#   make deps       install the Debian packages to build and run (a gateway needs no more)
#   make test-deps  the same and everything the tests use (nginx, chromium, clang, ...)
#   make run        install what is missing, build, create a local database, run
#   make test       install what is missing (test-deps), build, run every test
#   make check      run the tests without the install step
#   make browser    the admin panel's tests in headless chromium
#   make system-check  boot the installed unit in a container (systemd-nspawn)
#   make fuzz       build the libFuzzer targets (clang) and run each FUZZ_SECONDS
#   make stress     10 000 connections, slow-header attack (tests/stress)
#   make install    PREFIX=/usr/local DESTDIR=
#   SANITIZE=1      build with AddressSanitizer and UndefinedBehaviorSanitizer
#   WERROR=1        warnings are errors (CI sets it)

PREFIX   ?= /usr/local
UNITDIR  ?= $(PREFIX)/lib/systemd/system
MANDIR   ?= $(PREFIX)/share/man
DESTDIR  ?=
BUILD    ?= build
CC       ?= cc
PKGS     := sqlite3 openssl libmicrohttpd jansson libnftnl libmnl libsystemd libcares ldap libnl-route-3.0 krb5-gssapi krb5 libqrencode

CFLAGS   ?= -O2 -g
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wformat=2 -Wno-format-nonliteral
ifeq ($(WERROR),1)
WARN     += -Werror
endif
ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer
LDFLAGS  += -fsanitize=address,undefined
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
PKG_MISSING := $(shell pkg-config --exists $(PKGS) 2>/dev/null || echo yes)
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -MMD -MP \
              -Idaemon -Iadmin -I$(BUILD)/gen $(PKG_CFLAGS)
LIBS       := $(PKG_LIBS) -lpthread

# Every daemon module except main.c goes into one static library that the
# daemon, the CLI, the admin server and the unit tests link against.
LIB_SRC    := $(filter-out daemon/main.c,$(wildcard daemon/*.c))
LIB_OBJ    := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/migrations.o
CLI_SRC    := $(wildcard admin/cli*.c)
ADMIN_SRC  := $(filter-out $(CLI_SRC),$(wildcard admin/*.c))
ADMIN_OBJ  := $(ADMIN_SRC:%.c=$(BUILD)/obj/%.o)
DAEMON_OBJ := $(BUILD)/obj/daemon/main.o $(ADMIN_OBJ)
CLI_OBJ    := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_BIN  := $(BUILD)/bench/sessions_lookup
MIGRATIONS := $(sort $(wildcard db/migrations/*.sql))

.PHONY: FORCE all pkgcheck run test check unit e2e browser install-check system-check sanitize-check build-asan-unit fuzz stress bench install clean deps test-deps
all: pkgcheck $(BUILD)/portcullisd $(BUILD)/portcullis

# a clear word instead of a page of undefined references
pkgcheck:
ifeq ($(PKG_MISSING),yes)
	@echo "missing development packages (pkg-config $(PKGS)): run 'make deps' (or 'make run' / 'make test', which install them)" >&2
	@exit 1
endif

$(BUILD)/libportcullis.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	$(AR) rcs $@ $^

$(BUILD)/portcullisd: $(DAEMON_OBJ) $(BUILD)/libportcullis.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/portcullis: $(CLI_OBJ) $(BUILD)/libportcullis.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The default [admin] web_root is where `make install` puts the web assets,
# so it follows PREFIX; the stamp's content changes with PREFIX and then
# config.o is rebuilt (make && make install PREFIX=... works either way).
$(BUILD)/obj/daemon/config.o: ALL_CFLAGS += -DPORTCULLIS_WEB_ROOT='"$(PREFIX)/share/portcullis/web"'
$(BUILD)/obj/daemon/config.o: $(BUILD)/prefix.stamp
$(BUILD)/prefix.stamp: FORCE
	@mkdir -p $(@D)
	@echo '$(PREFIX)' | cmp -s - $@ || echo '$(PREFIX)' > $@
FORCE:

# The numbered SQL migrations are compiled into the binaries so that the
# daemon and the CLI always agree on the schema they apply.
$(BUILD)/gen/migrations.c: $(MIGRATIONS) db/embed.sh
	@mkdir -p $(@D)
	sh db/embed.sh $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/migrations.o: $(BUILD)/gen/migrations.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libportcullis.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libportcullis.a $(LIBS) -lcmocka

# micro-benchmarks: built with the unit tests so that they keep compiling,
# run by `make bench`
$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/libportcullis.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libportcullis.a $(LIBS)

# admin/ modules with a unit test of their own link it in as well
$(BUILD)/tests/test_tlscert $(BUILD)/tests/test_upload: $(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/obj/admin/%.o $(BUILD)/libportcullis.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/obj/admin/$*.o $(BUILD)/libportcullis.a $(LIBS) -lcmocka

# the admin listener's route table names its handlers: the test links the
# listener (never started)
$(BUILD)/tests/test_admin_routes: tests/unit/test_admin_routes.c $(ADMIN_OBJ) $(BUILD)/libportcullis.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(ADMIN_OBJ) $(BUILD)/libportcullis.a $(LIBS) -lcmocka

# ---------------------------------------------------------------- running
RUN_DIR ?= var
# deps first, then a new make: the pkg-config flags above are read when make
# starts, before deps has installed the libraries on a new machine
run: deps
	$(MAKE) --no-print-directory all
	BUILD=$(BUILD) sh tests/make-run.sh $(RUN_DIR)

# ---------------------------------------------------------------- testing
# build and run only: what the deployment guide installs on a gateway
deps:
	sh tests/install-deps.sh build

# the test toolchain as well; never on a production gateway
test-deps:
	sh tests/install-deps.sh test

test: test-deps
	$(MAKE) --no-print-directory check

check: all unit install-check e2e browser system-check sanitize-check

unit: $(UNIT_BIN) $(BENCH_BIN)
	sh tests/run-unit.sh $(UNIT_BIN)

e2e: all
	sh tests/e2e/run.sh

# The admin panel in headless chromium (playwright-core from npm, pinned in
# tests/browser/package-lock.json); screenshots go to build/browser/.
browser: all
	sh tests/browser/run.sh

install-check: all
	sh tests/install/run.sh

# The installed unit started by a real systemd in a container
# (systemd-nspawn on a debootstrapped Debian 12 tree).
system-check: all
	sh tests/system/run.sh

# The unit tests, the end-to-end scenarios and the browser tests again, against a build with
# AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer; any report
# in a daemon log fails its scenario.
# tests/lsan.supp: leaks inside Debian's libraries, each with its reason
sanitize-check: export LSAN_OPTIONS = suppressions=$(CURDIR)/tests/lsan.supp
sanitize-check:
	$(MAKE) --no-print-directory BUILD=build-asan SANITIZE=1 all build-asan-unit
	sh tests/run-unit.sh $(UNIT_SRC:tests/unit/%.c=build-asan/tests/%)
	BUILD_DIR=$(CURDIR)/build-asan sh tests/e2e/run.sh
	BUILD_DIR=$(CURDIR)/build-asan sh tests/browser/run.sh

build-asan-unit: $(UNIT_BIN)

FUZZ_SECONDS ?= 60
fuzz:
	PKGS="$(PKGS)" sh tests/fuzz/run.sh $(FUZZ_SECONDS)

# the limit scenarios that take the machine for a while (CI runs them too)
stress: all
	sh tests/stress/run.sh

bench: deps
	$(MAKE) --no-print-directory all $(BENCH_BIN)
	sh tests/bench/run.sh

# ---------------------------------------------------------------- install
install: all
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(BUILD)/portcullisd $(DESTDIR)$(PREFIX)/sbin/portcullisd
	install -m 0755 $(BUILD)/portcullis $(DESTDIR)$(PREFIX)/bin/portcullis
	install -d $(DESTDIR)$(PREFIX)/share/portcullis/web
	if [ -d web ]; then cp -R web/. $(DESTDIR)$(PREFIX)/share/portcullis/web/; fi
	# the portal's message catalogues, beside web (the default [portal] lang_dir)
	install -d $(DESTDIR)$(PREFIX)/share/portcullis/lang
	install -m 0644 lang/*.txt $(DESTDIR)$(PREFIX)/share/portcullis/lang/
	install -d $(DESTDIR)/etc/portcullis
	[ -e $(DESTDIR)/etc/portcullis/portcullis.conf ] || \
	  install -m 0640 etc/portcullis.conf $(DESTDIR)/etc/portcullis/portcullis.conf
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(PREFIX)/lib/sysusers.d $(DESTDIR)$(PREFIX)/lib/tmpfiles.d
	sed 's|/usr/sbin/|$(PREFIX)/sbin/|g' systemd/portcullisd.service > $(DESTDIR)$(UNITDIR)/portcullisd.service
	install -m 0644 systemd/portcullis.sysusers $(DESTDIR)$(PREFIX)/lib/sysusers.d/portcullis.conf
	install -m 0644 systemd/portcullis.tmpfiles $(DESTDIR)$(PREFIX)/lib/tmpfiles.d/portcullis.conf
	install -d $(DESTDIR)/etc/fail2ban/filter.d $(DESTDIR)$(PREFIX)/share/doc/portcullis
	install -d $(DESTDIR)/etc/logrotate.d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	# files under /etc are the administrator's once there: an upgrade leaves
	# them alone; the shipped versions are always in the doc folder to compare
	install -m 0644 etc/fail2ban/filter.d/portcullis.conf $(DESTDIR)$(PREFIX)/share/doc/portcullis/fail2ban-filter.conf
	install -m 0644 etc/fail2ban/jail.d/portcullis.conf $(DESTDIR)$(PREFIX)/share/doc/portcullis/fail2ban-jail.conf
	install -m 0644 etc/logrotate.d/portcullis $(DESTDIR)$(PREFIX)/share/doc/portcullis/logrotate.conf
	install -m 0640 etc/portcullis.conf $(DESTDIR)$(PREFIX)/share/doc/portcullis/portcullis.conf.example
	[ -e $(DESTDIR)/etc/fail2ban/filter.d/portcullis.conf ] || \
	  install -m 0644 etc/fail2ban/filter.d/portcullis.conf $(DESTDIR)/etc/fail2ban/filter.d/portcullis.conf
	[ -e $(DESTDIR)/etc/logrotate.d/portcullis ] || \
	  install -m 0644 etc/logrotate.d/portcullis $(DESTDIR)/etc/logrotate.d/portcullis
	install -m 0644 man/portcullis.conf.5 $(DESTDIR)$(MANDIR)/man5/portcullis.conf.5
	install -m 0644 man/portcullisd.8 man/portcullis.8 $(DESTDIR)$(MANDIR)/man8/

clean:
	rm -rf $(BUILD) build-asan

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
