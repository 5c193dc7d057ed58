# fremdrift: one non-recursive Makefile.
#
#   make                      build build/fremdrift
#   make run                  set up the embedded database and serve
#   make test                 unit, integration and browser tests (real
#                             PostgreSQL, Debian's Chromium)
#   make browser              the browser tests alone (tests/browser)
#   make bench                benchmarks, figures for docs/benchmarks.md
#   make screenshots          docs/img/*.png, the pages (phone, leadership)
#   make fuzz                 every libFuzzer target for a bounded time
#   make container-test       the images and docker/compose.yaml with
#                             podman, as root (docs/containers.md)
#   make SANITIZER=address    the same with ASan (or undefined for UBSan)
#   make install PREFIX=/usr DESTDIR=...   the binary, fremdrift-owner, man
#                             pages and share/fremdrift (the package uses it)
#   make deb                  build/deb/fremdrift_<version>_<arch>.deb, the
#                             version from debian/changelog; lintian
#   make deb-test             as root: install, upgrade, remove and purge it
#                             in a fresh Debian 12 chroot (docs/packaging.md)
#
# `make run`, `make test`, `make bench` and `make fuzz` first make sure the
# Debian packages they need are installed (scripts/deps.sh).

CC ?= gcc
SANITIZER ?=
PKGS := libuv libpq libcrypto jansson

ifeq ($(SANITIZER),)
BUILD := build
SANFLAGS :=
else ifeq ($(SANITIZER),address)
BUILD := build-address
SANFLAGS := -fsanitize=address -fno-omit-frame-pointer
else ifeq ($(SANITIZER),undefined)
BUILD := build-undefined
SANFLAGS := -fsanitize=undefined -fno-sanitize-recover=all
else
$(error SANITIZER must be address or undefined)
endif

# cmocka on its own: pkg-config prints nothing at all when one package of
# a list is missing, and the service builds without it (make deb).
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null) \
	$(shell pkg-config --cflags cmocka 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Werror
CFLAGS ?= -O2 -g
# CPPFLAGS and LDFLAGS are empty unless given (dpkg-buildflags gives them
# for the package: _FORTIFY_SOURCE, relro, bindnow).
ALL_CFLAGS = -std=c17 -Icli -D_GNU_SOURCE $(WARN) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) \
	-Iinclude $(PKG_CFLAGS) -MMD -MP
LDLIBS_ALL = $(PKG_LIBS) -lhttp_parser -lcsv -lm -lpthread

# The rooms (README "How it is put together"). Purity is a property of
# files: PURE_SRC compile and link without libuv and libpq (the fuzz
# targets link against them alone, and scripts/check-purity.sh checks
# their undefined symbols), so they stay easy to test and fuzz.
PURE_SRC := $(wildcard common/*.c) \
	anonymize/cpr.c anonymize/pseudonym.c anonymize/keyfile.c \
	anonymize/link_token.c \
	measure/instrument.c measure/stats.c measure/catalog.c measure/validity.c \
	ingest/json_scan.c ingest/record.c ingest/file_parse.c ingest/batch.c \
	ingest/synth.c server/http_parse.c server/page_render.c \
	server/dash_model.c server/dash_table.c server/dash_render.c \
	server/dash_chart.c server/dash_csv.c server/dash_headline.c \
	server/dash_validity.c
# Everything else that is not the command line: the database layer and
# migrations, libpq on libuv, the server, refresh, extracts, rights.
IO_SRC := $(filter-out $(PURE_SRC),$(wildcard db/*.c ingest/*.c \
	server/*.c measure/*.c anonymize/*.c))
CLI_SRC := $(wildcard cli/*.c)
MIGRATIONS := $(sort $(wildcard sql/[0-9]*.sql))
# The current definition of every view and function (sql/README.md).
DEFINITIONS := $(sort $(wildcard sql/current/*.sql))
INSTRUMENTS := $(sort $(wildcard instruments/*.json))
# The loaders every research extract ships (R, Python).
LOADERS := $(sort $(wildcard anonymize/loaders/*))
# The pages' stylesheet and script, served from memory by `serve`.
WEB_ASSETS := web/app.css web/app.js web/dash.css
GEN_SRC := $(BUILD)/gen/migrations.c $(BUILD)/gen/instruments.c \
	$(BUILD)/gen/loaders.c $(BUILD)/gen/web.c

PURE_OBJ := $(PURE_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/instruments.o
IO_OBJ := $(IO_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/migrations.o \
	$(BUILD)/gen/loaders.o $(BUILD)/gen/web.o
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/%.o)
CORE_LIB := $(BUILD)/libfremdrift_pure.a
INGEST_LIB := $(BUILD)/libfremdrift_io.a
CLI_LIB := $(BUILD)/libfremdrift_cli.a
BIN := $(BUILD)/fremdrift
PURE_LIBS := $(shell pkg-config --libs libcrypto jansson 2>/dev/null) -lcsv \
	-lhttp_parser -lm

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/unit/%)
INTEG_SRC := $(wildcard tests/integration/test_*.c)
INTEG_BIN := $(INTEG_SRC:tests/integration/%.c=$(BUILD)/tests/integration/%)
INTEG_HARNESS := $(BUILD)/tests/integration/harness.o
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_REPLAY := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/tests/fuzz/%-replay)
BENCH_SRC := $(wildcard tests/bench/bench_*.c)
BENCH_BIN := $(BENCH_SRC:tests/bench/%.c=$(BUILD)/tests/bench/%)

.SECONDARY:
.PHONY: all tests run test unit integration browser bench screenshots fuzz \
	container-test deps clean print-pure install deb deb-test
all: $(BIN)

tests: $(BIN) $(UNIT_BIN) $(INTEG_BIN) $(BENCH_BIN) $(FUZZ_REPLAY)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# Migrations are compiled into the binary, so it knows exactly which
# migrations it has and can refuse a database that has more.
$(BUILD)/gen/migrations.c: $(MIGRATIONS) $(DEFINITIONS) scripts/embed-sql.sh
	@mkdir -p $(dir $@)
	sh scripts/embed-sql.sh $(MIGRATIONS) $(DEFINITIONS) > $@.tmp && mv $@.tmp $@

# Questionnaire definitions are data, compiled in the same way.
$(BUILD)/gen/instruments.c: $(INSTRUMENTS) scripts/embed-json.sh
	@mkdir -p $(dir $@)
	sh scripts/embed-json.sh $(INSTRUMENTS) > $@.tmp && mv $@.tmp $@

# The loaders written into every extract, compiled in the same way.
$(BUILD)/gen/loaders.c: $(LOADERS) scripts/embed-text.sh
	@mkdir -p $(dir $@)
	sh scripts/embed-text.sh extract loader $(LOADERS) > $@.tmp && mv $@.tmp $@

# The pages' assets, compiled in with their content hashes.
$(BUILD)/gen/web.c: $(WEB_ASSETS) scripts/embed-text.sh
	@mkdir -p $(dir $@)
	sh scripts/embed-text.sh --hash pages asset $(WEB_ASSETS) > $@.tmp && mv $@.tmp $@

$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(CORE_LIB): $(PURE_OBJ)
	@rm -f $@
	ar rcs $@ $^
	@sh scripts/check-purity.sh $^

$(INGEST_LIB): $(IO_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(CLI_LIB): $(filter-out $(BUILD)/cli/main.o,$(CLI_OBJ))
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/cli/main.o $(CLI_LIB) $(INGEST_LIB) $(CORE_LIB)
	$(CC) $(SANFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)
	@ln -sf $(notdir $@) $(BUILD)/fremdrift-latest 2>/dev/null || true

$(BUILD)/tests/unit/%: $(BUILD)/tests/unit/%.o $(CLI_LIB) $(INGEST_LIB) $(CORE_LIB)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL) $(CMOCKA_LIBS)

$(BUILD)/tests/integration/%: $(BUILD)/tests/integration/%.o $(INTEG_HARNESS) $(INGEST_LIB) $(CORE_LIB)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL) $(CMOCKA_LIBS)

# Fuzz targets built with the ordinary compiler and a replay driver, so
# `make test` keeps them compiling and runs their seed corpora.
$(BUILD)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/fuzz -c $< -o $@

$(BUILD)/tests/fuzz/%-replay: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay.o $(CORE_LIB)
	$(CC) $(SANFLAGS) -o $@ $^ $(PURE_LIBS)

$(BUILD)/tests/bench/%: $(BUILD)/tests/bench/%.o $(INGEST_LIB) $(CORE_LIB)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS_ALL)

# The browser tests' npm packages (package.json: playwright-core, axe-core),
# exactly as package-lock.json pins them; again only when the lockfile
# changes. No install scripts: Chromium is Debian's, never downloaded.
NODE_STAMP := node_modules/.fremdrift-installed
$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

print-pure:
	@echo $(PURE_SRC)

deps:
	@sh scripts/deps.sh build

run:
	@sh scripts/deps.sh run
	@$(MAKE) --no-print-directory all
	@sh scripts/run.sh $(BIN)

test:
	@sh scripts/deps.sh test
	@$(MAKE) --no-print-directory tests $(NODE_STAMP)
	@sh scripts/test.sh $(BUILD)

browser:
	@sh scripts/deps.sh test
	@$(MAKE) --no-print-directory $(BIN) $(NODE_STAMP)
	@sh scripts/test.sh $(BUILD) browser

unit: tests
	@sh scripts/test.sh $(BUILD) unit

integration: tests
	@sh scripts/test.sh $(BUILD) integration

bench:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory tests $(NODE_STAMP)
	@sh scripts/bench.sh $(BUILD)

screenshots:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory $(BIN) $(NODE_STAMP)
	@sh scripts/bench.sh $(BUILD) screenshots

fuzz:
	@sh scripts/deps.sh fuzz
	@sh scripts/fuzz.sh

# Not part of `make test`: it needs root, podman and a few minutes.
container-test:
	@sh scripts/container-test.sh

# The package's files (debian/rules calls it with PREFIX=/usr); /etc and
# the systemd units are installed by debian/fremdrift.install.
PREFIX ?= /usr/local
SHARE := $(DESTDIR)$(PREFIX)/share
install: $(BIN)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin \
		$(SHARE)/fremdrift $(SHARE)/man/man1 $(SHARE)/man/man8
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/fremdrift
	install -m 0755 packaging/fremdrift-owner $(DESTDIR)$(PREFIX)/sbin/
	install -m 0755 packaging/db-setup.sh $(SHARE)/fremdrift/
	install -m 0644 packaging/db-roles.sql $(SHARE)/fremdrift/
	install -m 0644 sql/current/80_catalog_privacy.sql \
		$(SHARE)/fremdrift/catalog-privacy.sql
	install -m 0644 packaging/man/fremdrift.1 $(SHARE)/man/man1/
	install -m 0644 packaging/man/fremdrift-owner.8 $(SHARE)/man/man8/

DEB_FILE = build/deb/fremdrift_$$(dpkg-parsechangelog -S Version)_$$(dpkg \
	--print-architecture).deb
deb:
	@sh scripts/deps.sh deb
	@sh scripts/deb-build.sh
	@sh scripts/deb-units-check.sh $(DEB_FILE)

deb-test: deb
	@sh scripts/deps.sh deb-test
	@sh scripts/deb-syscalls.sh $(DEB_FILE)
	@sh scripts/deb-test.sh $(DEB_FILE)

clean:
	rm -rf build build-address build-undefined build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
