# SPDX-License-Identifier: GPL-2.0-or-later
# tproxyd - top-level, non-recursive Makefile.
#
#   make            build/tproxyd and build/tproxyctl
#   make test       style check, unit tests (cmocka), squid.conf corpus,
#                   black-box tests (pytest)
#   make squidconf  how many real squid.conf files load (../shared/corpora)
#   make cache-tests  the HTTP cache test suite, direct and through tproxyd
#   make style      check the C style (scripts/style-check.sh)
#   make demo       start tproxyd on etc/tproxyd.conf and show it working
#   make install    binaries, config, man pages and systemd units under PREFIX
#                   (PREFIX=/usr: configuration in /etc); make uninstall
#   make package-test  build the Debian package (debian/) and check it
#   make SAN=1 ...  build with AddressSanitizer + UndefinedBehaviorSanitizer
#
# Objects go to build/ (build/san/ with SAN=1); `make build/src/http/h1.o`
# builds one object.

# Where `make install` puts things, and the configuration file the binaries
# read by default (compiled in). The GNU convention: PREFIX=/usr (a
# distribution package) keeps its configuration in /etc, any other PREFIX
# in PREFIX/etc. Changing PREFIX or SYSCONFDIR rebuilds what depends on them
# ($(B)/paths.txt below), so `make` then `make install PREFIX=/usr` installs
# binaries that read /etc/tproxyd/tproxyd.conf.
PREFIX   ?= /usr/local
DESTDIR  ?=
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
SBINDIR  := $(PREFIX)/sbin
MANDIR   := $(PREFIX)/share/man
COMPLDIR := $(PREFIX)/share/bash-completion/completions
# The Grafana dashboard and Prometheus alert rules (packaging/), for the
# operator to import or point rule_files at.
DATADIR  := $(PREFIX)/share/tproxyd
UNITDIR  ?= $(PREFIX)/lib/systemd/system
# Examples (the systemd drop-in for WCCP GRE forwarding); named in messages.
EXAMPLEDIR := $(PREFIX)/share/doc/tproxyd/examples
CONF     := $(SYSCONFDIR)/tproxyd/tproxyd.conf
CC       ?= cc
PYTHON   ?= /usr/bin/python3

ifeq ($(SAN),1)
B        := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
            -fno-sanitize-recover=undefined
OPT      := -O1
else
B        := build
SANFLAGS :=
OPT      := -O2
endif

WARN     := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wcast-qual \
            -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
            -Wno-format-nonliteral
VERSION  := 0.1.0
# CFLAGS, CPPFLAGS and LDFLAGS from the environment or the command line
# (dpkg-buildflags: Debian's hardening flags) are kept, and what the tree
# needs is added to them ("override"), so the warnings and -Werror stay.
CFLAGS   ?= $(OPT) -g
override CPPFLAGS += -Isrc -D_GNU_SOURCE -DTPROXYD_VERSION=\"$(VERSION)\" \
            -DTPROXYD_CONF=\"$(CONF)\" \
            -DTPROXYD_EXAMPLES=\"$(EXAMPLEDIR)\" -MMD -MP
override CFLAGS   += -std=gnu11 $(WARN) $(SANFLAGS) -fno-strict-aliasing
override LDFLAGS  += $(SANFLAGS)
# libssl/libcrypto: src/tls/cert.c reads and checks server certificates.
LIBS     := -lev -lcares -lcap -lssl -lcrypto -lm

# Everything under src/ except the process itself (entry point, serving
# process, -k upgrade, workers: they share main.c's state, proc-int.h) is
# linked into the unit tests too.
SRCS     := $(sort $(wildcard src/*/*.c))
MAIN_SRCS := src/proc/main.c src/proc/setup.c src/proc/upgrade.c \
             src/proc/upgrade_report.c \
             src/proc/master.c src/proc/serve.c
LIB_SRCS := $(filter-out $(MAIN_SRCS),$(SRCS))
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
CTL_SRCS := $(sort $(wildcard tools/tproxyctl/*.c tools/tproxyctl/doctor/*.c))
CTL_OBJS := $(CTL_SRCS:%.c=$(B)/%.o)
# tproxyctl doctor's readers of ip, nft and iptables output (fuzzed).
CTL_FUZZ_SRCS := tools/tproxyctl/doctor/pathparse.c \
                 tools/tproxyctl/doctor/fwrule.c
UT_SRCS  := $(sort $(wildcard tests/unit/test_*.c))
UT_BINS  := $(UT_SRCS:tests/unit/%.c=$(B)/tests/%)
FUZZ_SRCS:= $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_REPLAY := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/tests/replay_%)

all: deps-build $(B)/tproxyd $(B)/tproxyctl

# The compiled-in paths: $(B)/paths.txt is rewritten only when they change,
# and what compiles them in depends on it.
PATHS_NOW := CONF=$(CONF) EXAMPLES=$(EXAMPLEDIR)
ifneq ($(PATHS_NOW),$(shell cat $(B)/paths.txt 2>/dev/null))
$(shell mkdir -p $(B) && echo '$(PATHS_NOW)' > $(B)/paths.txt)
endif
$(B)/src/proc/main.o $(B)/src/proc/setup.o \
$(B)/tools/tproxyctl/doctor/tproxyd.o $(B)/src/wccp/wccp2.o: $(B)/paths.txt
$(B)/paths.txt: ;

deps-build:
	@sh scripts/deps.sh build
deps-test:
	@sh scripts/deps.sh test
.PHONY: all deps-build deps-test

$(B)/tproxyd: $(LIB_OBJS) $(MAIN_SRCS:%.c=$(B)/%.o)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# tproxyctl reads tproxyd.conf (-f) with the daemon's own config module.
$(B)/tproxyctl: $(CTL_OBJS) $(filter $(B)/src/config/%.o $(B)/src/acl/%.o \
		$(B)/src/tls/verify_names.o \
		$(B)/src/core/sa.o $(B)/src/core/fmt.o \
		$(B)/src/log/log.o $(B)/src/log/logfmt.o \
		$(B)/src/helper/reply.o $(B)/src/helper/ext_cache.o,$(LIB_OBJS))
	$(CC) $(LDFLAGS) -o $@ $^ -lcrypto

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Unit tests: one binary per tests/unit/test_<module>.c.
$(B)/tests/test_%: $(B)/tests/unit/test_%.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS) -lcmocka

# Fuzz targets replayed over their corpus by a plain driver (regression).
$(B)/tests/replay_%: $(B)/tests/fuzz/%.o $(B)/tests/fuzz/replay.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)
$(B)/tests/replay_fuzz_ctl_rules: $(B)/tests/fuzz/fuzz_ctl_rules.o \
		$(B)/tests/fuzz/replay.o $(CTL_FUZZ_SRCS:%.c=$(B)/%.o)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^
$(B)/tests/fuzz/replay.o: tests/fuzz/replay.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The bumping certificates driven from the command line: leaves for
# tests/blackbox/test_tproxyctl_ca.py, and generation times (bench).
$(B)/tests/certgen_tool: $(B)/tests/tools/certgen_tool.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# Driver for tests/blackbox/test_priv.py: calls priv_drop() and reports.
$(B)/tests/priv_check: $(B)/tests/priv/priv_check.o $(B)/src/core/priv.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcap

# The disk store driven from the command line: black-box tests of crashes
# (tests/blackbox/test_cdisk.py) and measurements (cdisk_tool bench).
$(B)/tests/cdisk_tool: $(B)/tests/tools/cdisk_tool.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The QUIC Initial reader driven from the command line
# (tests/blackbox/test_quic_initial.py).
$(B)/tests/quic_tool: $(B)/tests/tools/quic_tool.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# The TLS transport's throughput, with and without kernel TLS
# (tests/tools/xtls_bench.c says how to run it).
$(B)/tests/xtls_bench: $(B)/tests/tools/xtls_bench.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

unit: deps-test $(UT_BINS) $(FUZZ_REPLAY)
	@set -e; for t in $(UT_BINS); do echo "== $$t"; $$t; done
	@set -e; for t in $(FUZZ_REPLAY); do \
		n=$${t##*/replay_fuzz_}; \
		echo "== $$t tests/fuzz/corpus/$$n"; $$t tests/fuzz/corpus/$$n; done

# test_wccp2.py mostly waits out WCCPv2's timers (the designated cache
# assigns 15 s after a view change): it runs beside the rest of the suite,
# three tests at a time (pytest-xdist). The tproxyctl and doctor tests
# (namespaces, systemd, faults) mostly wait for clients to time out: they
# run beside it too, a file per worker, two at a time (a file's tests share
# host state such as UFW's files). Their reports follow the main one.
WCCP_TESTS := tests/blackbox/test_wccp2.py tests/blackbox/test_wccp2_data.py \
	      tests/blackbox/test_wccp_systemd.py
CTL_TESTS  := $(sort $(wildcard tests/blackbox/test_tproxyctl*.py \
		tests/blackbox/test_doctor_*.py \
		tests/blackbox/test_side_by_side*.py))
# The rest of the suite: two files at a time (most tests wait on timers
# and peers, not on the CPU); MAIN_JOBS=0 runs it in one process.
MAIN_JOBS  ?= 2
PYTEST     := TPROXYD_BUILD=$(B) $(PYTHON) -m pytest -q -ra -p no:cacheprovider
blackbox: deps-test all $(B)/tests/priv_check $(B)/tests/cdisk_tool \
		$(B)/tests/sib_tool $(B)/tests/certgen_tool $(B)/tests/quic_tool
	@echo "== $(WCCP_TESTS) and the tproxyctl tests: in the background," \
		"reports below"
	@rm -f $(B)/doctor-faults.jsonl
	@# Each session its own temporary directory: pytest's shared
	@# /tmp/pytest-of-USER keeps only the 3 newest sessions' directories,
	@# so a 4th session on the machine (another make test) would remove
	@# files a running test still uses.
	@t=$$(mktemp -d /tmp/tpx-bb.XXXXXX); \
	$(PYTEST) -n 3 --basetemp=$$t/w $(WCCP_TESTS) $(PYTEST_ARGS) \
		>$(B)/blackbox-wccp2.log 2>&1 & wpid=$$!; \
	$(PYTEST) -n 2 --dist loadfile --basetemp=$$t/c $(CTL_TESTS) \
		$(PYTEST_ARGS) >$(B)/blackbox-tproxyctl.log 2>&1 & cpid=$$!; \
	$(PYTEST) -n $(MAIN_JOBS) --dist loadfile --basetemp=$$t/m \
		$(addprefix --ignore=,$(WCCP_TESTS) $(CTL_TESTS)) \
		--ignore=$(PACKAGE_TESTS) \
		tests/blackbox $(PYTEST_ARGS); rc=$$?; \
	wait $$wpid; wrc=$$?; wait $$cpid; crc=$$?; rm -rf $$t; \
	echo "== $(WCCP_TESTS) (ran beside the rest)"; \
	cat $(B)/blackbox-wccp2.log; \
	echo "== tproxyctl and doctor tests (ran beside the rest)"; \
	cat $(B)/blackbox-tproxyctl.log; \
	test $$rc -eq 0 && test $$wrc -eq 0 && test $$crc -eq 0

# `make package-test`: builds the Debian package (dpkg-buildpackage -b in
# a copy of the tree) and checks the .deb: contents, modes, conffiles,
# hardening, maintainer scripts run under a fake systemd, lintian without
# errors (tests/blackbox/test_package.py). 20 to 50 s on two shared cores,
# most of it compiling everything again, and it needs debhelper and
# lintian (scripts/deps.sh package): not part of `make test`; CI runs it
# (.ci/run).
PACKAGE_TESTS := tests/blackbox/test_package.py
package-test:
	@sh scripts/deps.sh package
	$(PYTEST) $(PACKAGE_TESTS) $(PYTEST_ARGS)
.PHONY: package-test

# libFuzzer targets (clang, ASan + UBSan). `make fuzz` runs each for
# FUZZ_TIME seconds (default 60) on a scratch corpus seeded from
# tests/fuzz/corpus/<target>; `make test` runs each for 7 s so that a
# regression fails CI. Crashes land in build/fuzz/ as crash-* files.
FUZZ_TARGETS := h1_req h1_resp chunked url config wccp2 gre tls_hello \
                tls_server dns_msg ctl_rules cache_cc icp htcp certgen \
                helper_reply icap quic auth_basic
FUZZ_TIME    ?= 60
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined -Isrc -D_GNU_SOURCE
FUZZ_SRCS_h1_req  := src/http/h1.c src/http/h1_chunk.c
FUZZ_SRCS_h1_resp := src/http/h1.c src/http/h1_chunk.c
FUZZ_SRCS_chunked := src/http/h1.c src/http/h1_chunk.c
FUZZ_SRCS_url     := src/http/url.c src/intercept/loopguard.c
FUZZ_SRCS_config  := $(wildcard src/config/*.c src/acl/*.c) \
                     src/log/logfmt.c src/helper/reply.c \
                     src/helper/ext_cache.c src/core/fmt.c src/core/sa.c \
                     src/tls/verify_names.c
FUZZ_SRCS_wccp2   := src/wccp/wccp2_codec.c src/wccp/md5.c
FUZZ_SRCS_gre     := src/wccp/gre.c src/wccp/gre_return.c
FUZZ_SRCS_tls_hello  := src/tls/hello.c src/tls/rec.c
FUZZ_SRCS_tls_server := src/tls/server.c src/tls/rec.c src/tls/cert.c \
                        src/tls/verify_names.c
# Libraries a target needs beyond libc (the tls_* targets take
# tests/fuzz/tls.dict, the others http.dict: see fuzz-run).
FUZZ_LIBS_tls_server := -lcrypto
FUZZ_SRCS_certgen    := src/tls/certgen.c src/tls/certcache.c
FUZZ_LIBS_certgen    := -lcrypto

FUZZ_SRCS_dns_msg := src/learn/dns_msg.c src/learn/learn_tab.c \
                     src/learn/learn_pkt.c
FUZZ_SRCS_ctl_rules := $(CTL_FUZZ_SRCS)
FUZZ_SRCS_cache_cc  := src/cache/policy.c src/cache/policy_read.c
FUZZ_SRCS_icp       := src/cache/icp.c
FUZZ_SRCS_htcp      := src/cache/htcp.c
FUZZ_SRCS_helper_reply := src/helper/reply.c
FUZZ_SRCS_icap      := src/icap/icap.c src/http/h1.c src/http/h1_chunk.c \
                       src/core/buf.c src/core/fmt.c
# The QUIC Initial reader reads the ClientHello with src/tls/hello.c and
# opens Initial packets with libcrypto (corpus: tests/fuzz/quic_corpus.py).
FUZZ_SRCS_quic      := src/quic/quic_initial.c src/quic/quic_hello.c \
                       src/tls/hello.c src/tls/rec.c
FUZZ_LIBS_quic      := -lcrypto
FUZZ_SRCS_auth_basic   := src/auth/basic.c src/auth/digest.c
FUZZ_LIBS_auth_basic   := -lcrypto

build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard src/http/*.c src/config/*.c src/acl/*.c src/wccp/*.c src/intercept/*.c src/tls/*.c src/learn/*.c src/cache/*.c src/helper/*.c src/icap/*.c src/quic/*.c src/auth/*.c) \
		$(CTL_FUZZ_SRCS)
	@mkdir -p build/fuzz
	clang $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS_$*) $(FUZZ_LIBS_$*)

fuzz-run: deps-fuzz $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)
	@set -e; for t in $(FUZZ_TARGETS); do \
		mkdir -p build/fuzz/corpus-$$t; \
		echo "== fuzz_$$t for $(FUZZ_TIME) s"; \
		rc=0; build/fuzz/fuzz_$$t -max_total_time=$(FUZZ_TIME) \
			-dict=$$(case $$t in tls_*|quic) echo tests/fuzz/tls.dict;; \
				*) echo tests/fuzz/http.dict;; esac) \
			-print_final_stats=1 \
			-artifact_prefix=build/fuzz/ build/fuzz/corpus-$$t \
			tests/fuzz/corpus/$$t > build/fuzz/$$t.log 2>&1 || rc=$$?; \
		grep -E 'stat::number_of_executed_units' build/fuzz/$$t.log || true; \
		if [ $$rc -ne 0 ]; then \
			grep -E -A30 'ERROR|SUMMARY|crash-' build/fuzz/$$t.log; \
			echo "fuzz_$$t FAILED (exit $$rc): see build/fuzz/$$t.log"; \
			exit 1; \
		fi; \
	done
fuzz:
	$(MAKE) fuzz-run FUZZ_TIME=$(FUZZ_TIME)
fuzz-quick:
	$(MAKE) fuzz-run FUZZ_TIME=7
deps-fuzz:
	@sh scripts/deps.sh fuzz
.PHONY: fuzz fuzz-run fuzz-quick deps-fuzz

# The C style the tree follows (scripts/style-check.sh: tabs, 80 columns,
# no trailing blanks, return type on its own line, no strcpy/sprintf...),
# and the licence line of every source file (scripts/spdx.py).
style:
	@sh scripts/style-check.sh
	@$(PYTHON) scripts/spdx.py --check

# `make squidconf`: does tproxyd load the squid.conf files Squid users
# have? Runs the corpus's check.sh (../shared/corpora/squidconf, outside
# this repository; SQUIDCONF_CORPUS=DIR names another copy) on every real
# configuration there, under the conditions Squid's own verdicts were
# recorded in (scripts/squidconf.sh: no network, the files' acl host names
# in a private /etc/hosts), and prints its verdict, "N of M load": of the M
# configurations Squid 5.7 accepts, N load in tproxyd (warnings allowed).
# Configurations needing features tproxyd refuses (TLS decryption,
# authentication, ...) cannot load yet, so N < M is expected: the target
# fails when N falls below SQUIDCONF_MIN, the count this tree reached (raise
# it when more load), and when a file Squid accepts is refused for anything
# but a feature tproxyd does not have ("... is not supported by tproxyd":
# never silently, never for a value form Squid takes) or a private key
# file every user can read (the corpus's test CA is copied mode 0644;
# tproxyd never starts with such a key, Squid does). The report is in
# $(B)/squidconf.txt. About 3 s, so part of `make test`.
SQUIDCONF_CORPUS ?= ../shared/corpora/squidconf
SQUIDCONF_MIN    ?= 40
squidconf: all
	@corpus='$(SQUIDCONF_CORPUS)'; \
	if [ ! -x "$$corpus/check.sh" ]; then \
		echo "make squidconf: no squid.conf corpus in $$corpus" \
			"(check.sh expected); give its directory with" \
			"SQUIDCONF_CORPUS=DIR" >&2; \
		exit 2; \
	fi; \
	sh scripts/squidconf.sh "$$corpus" $(B)/tproxyd \
		>$(B)/squidconf.txt 2>&1; \
	last=$$(tail -n 1 $(B)/squidconf.txt); \
	n=$$(echo "$$last" | sed -n 's/^\([0-9][0-9]*\) of [0-9][0-9]* load$$/\1/p'); \
	if [ -z "$$n" ]; then \
		cat $(B)/squidconf.txt; \
		echo "make squidconf: check.sh gave no 'N of M load' line" >&2; \
		exit 1; \
	fi; \
	echo "squidconf: $$last (of the files Squid 5.7 accepts; report in $(B)/squidconf.txt)"; \
	if [ "$$n" -lt $(SQUIDCONF_MIN) ]; then \
		grep ' refused ' $(B)/squidconf.txt; \
		echo "make squidconf: only $$n load, $(SQUIDCONF_MIN) did before" >&2; \
		exit 1; \
	fi; \
	other=$$(grep 'squid:accept *refused' $(B)/squidconf.txt | \
		grep -v 'is not supported by tproxyd' | \
		grep -v 'the private key can be read by every user'); \
	if [ -n "$$other" ]; then \
		echo "$$other"; \
		echo "make squidconf: files Squid accepts are refused for" \
			"something other than a feature tproxyd does not have" >&2; \
		exit 1; \
	fi
.PHONY: squidconf

# The fuzzers are sanitizer builds already: `make test SAN=1` skips them.
test: style unit $(if $(filter 1,$(SAN)),,fuzz-quick) squidconf blackbox
.PHONY: style unit blackbox test

# About three minutes of mixed load with injected faults (not in `make
# test`): no crash, no descriptor growth, flat RSS.
soak: deps-test all
	$(PYTHON) scripts/soak.py
.PHONY: soak

# `make cache-tests`: the public HTTP cache test suite (http-cache-tests on
# npm, installed into $(B)/cache-tests/npm when missing; node 20) run on
# loopback straight to its server and through a throw-away tproxyd as a
# forward proxy. Prints both scores and the tests passing direct but failing
# through tproxyd; results in $(B)/cache-tests/results.json. Fails when a
# test of tests/cache-tests/baseline.json fails now (UPDATE_BASELINE=1
# rewrites it). About 40 s; CI runs it (.ci/run) after `make test`.
cache-tests: all
	sh scripts/cache-tests.sh $(B)
.PHONY: cache-tests

# `make desync`: the external HTTP/1.1 desync corpus (../shared/corpora/desync,
# outside this repository; DESYNC_CORPUS=DIR names another copy, DESYNC_ARGS
# passes options to its run.py, e.g. --dir response) against a throw-away
# tproxyd on two free loopback ports. Fails when run.py does: a case smuggled,
# or tproxyd stopped serving. About 8 minutes, so not part of `make test`.
desync: all
	@corpus='$(or $(DESYNC_CORPUS),../shared/corpora/desync)'; \
	if [ ! -f "$$corpus/run.py" ] || [ ! -f "$$corpus/cases.json" ]; then \
		echo "make desync: no desync corpus in $$corpus (run.py and" \
			"cases.json expected); give its directory with" \
			"DESYNC_CORPUS=DIR" >&2; \
		exit 2; \
	fi; \
	tmp=$$(mktemp -d /tmp/tproxyd-desync.XXXXXX) && chmod 755 "$$tmp" || exit 1; \
	set -- $$($(PYTHON) -c 'import socket; s = [socket.socket() for _ in "ab"]; \
		[x.bind(("127.0.0.1", 0)) for x in s]; \
		print(*[x.getsockname()[1] for x in s])'); \
	pport=$$1; oport=$$2; \
	printf '%s\n' "http_port 127.0.0.1:$$pport" "http_access allow all" \
		"access_log $$tmp/access.log" "cache_log $$tmp/cache.log" \
		"pid_filename $$tmp/tproxyd.pid" "dns_nameservers 127.0.0.1" \
		>"$$tmp/tproxyd.conf"; \
	$(B)/tproxyd -N -f "$$tmp/tproxyd.conf" & pid=$$!; \
	trap 'kill $$pid 2>/dev/null' EXIT INT TERM; \
	i=0; until ss -ltn "sport = :$$pport" | grep -q LISTEN; do \
		i=$$((i + 1)); \
		if [ $$i -gt 100 ] || ! kill -0 $$pid 2>/dev/null; then \
			echo "make desync: tproxyd did not start; see $$tmp" >&2; \
			exit 1; \
		fi; \
		sleep 0.1; \
	done; \
	echo "== $$corpus/run.py $$pport $$oport --pid $$pid $(DESYNC_ARGS)"; \
	$(PYTHON) "$$corpus/run.py" $$pport $$oport --pid $$pid $(DESYNC_ARGS); \
	rc=$$?; \
	kill $$pid 2>/dev/null; wait $$pid; trap - EXIT INT TERM; \
	if [ $$rc -eq 0 ]; then rm -rf "$$tmp"; \
	else echo "make desync: run.py exited $$rc; logs in $$tmp" >&2; fi; \
	exit $$rc
.PHONY: desync

demo: all
	@sh scripts/demo.sh $(B)

# `make install`: binaries, configuration (never replacing a file that is
# there: the administrator's), man pages, systemd units, the drop-in for
# WCCP GRE forwarding (an example: the operator copies it into /etc). It
# refuses binaries that would read another configuration file than the one it
# installs. $(B)/installed.txt lists what it installed; `make uninstall`
# removes exactly that (with the same DESTDIR), except configuration files:
# those that were there before install are not in the list, and those whose
# content changed since (their SHA-256 is in the list: edited by the
# administrator) stay, and it says so.
# One list per destination: installs into several DESTDIRs at once (the
# tests do) never share a file.
INSTALLED := $(B)/installed$(if $(DESTDIR),$(subst /,_,$(DESTDIR))).txt
install: all
	@$(B)/tproxyd -v | grep -qxF 'configuration file: $(CONF)' || { \
		echo "make install: $(B)/tproxyd reads another configuration" \
			"file than $(CONF); run make clean" >&2; exit 1; }
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/tproxyd \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(UNITDIR)
	install -m 755 $(B)/tproxyd $(B)/tproxyctl $(DESTDIR)$(SBINDIR)/
	@rm -f $(INSTALLED).new; for f in tproxyd.conf nobump.domains; do \
		p=$(SYSCONFDIR)/tproxyd/$$f; \
		if [ -e "$(DESTDIR)$$p" ]; then \
			echo "make install: keeping $(DESTDIR)$$p (there already)"; \
			grep -F "conf $$p " $(INSTALLED) >> $(INSTALLED).new \
				2>/dev/null; \
		else \
			echo "install -m 644 etc/$$f $(DESTDIR)$$p"; \
			install -m 644 etc/$$f "$(DESTDIR)$$p" || exit 1; \
			echo "conf $$p $$(sha256sum < etc/$$f | cut -d' ' -f1)" \
				>> $(INSTALLED).new; \
		fi; \
	done
	install -m 644 doc/tproxyd.8 doc/tproxyctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 644 doc/tproxyd.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -d $(DESTDIR)$(COMPLDIR)
	install -m 644 etc/bash-completion/tproxyd \
		etc/bash-completion/tproxyctl $(DESTDIR)$(COMPLDIR)/
	install -d $(DESTDIR)$(DATADIR)/grafana $(DESTDIR)$(DATADIR)/prometheus
	install -m 644 packaging/grafana/tproxyd.json \
		$(DESTDIR)$(DATADIR)/grafana/
	install -m 644 packaging/prometheus/tproxyd-alerts.yml \
		packaging/prometheus/tproxyd-alerts.test.yml \
		$(DESTDIR)$(DATADIR)/prometheus/
	for u in tproxyd tproxyctl; do \
		sed -e 's|@SBINDIR@|$(SBINDIR)|g' \
			-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
			packaging/$$u.service \
			> $(DESTDIR)$(UNITDIR)/$$u.service || exit 1; \
		chmod 644 $(DESTDIR)$(UNITDIR)/$$u.service; \
	done
	install -d $(DESTDIR)$(EXAMPLEDIR)
	install -m 644 packaging/tproxyd.service.d/wccp-gre.conf \
		$(DESTDIR)$(EXAMPLEDIR)/
	printf '%s\n' $(SBINDIR)/tproxyd $(SBINDIR)/tproxyctl \
		$(EXAMPLEDIR)/wccp-gre.conf \
		$(MANDIR)/man8/tproxyd.8 $(MANDIR)/man8/tproxyctl.8 \
		$(MANDIR)/man5/tproxyd.conf.5 $(UNITDIR)/tproxyd.service \
		$(UNITDIR)/tproxyctl.service $(COMPLDIR)/tproxyd \
		$(COMPLDIR)/tproxyctl $(DATADIR)/grafana/tproxyd.json \
		$(DATADIR)/prometheus/tproxyd-alerts.yml \
		$(DATADIR)/prometheus/tproxyd-alerts.test.yml >> $(INSTALLED).new
	mv $(INSTALLED).new $(INSTALLED)

uninstall:
	@test -f $(INSTALLED) || { echo "make uninstall: no $(INSTALLED):" \
		"nothing installed from this build directory" >&2; exit 1; }
	@while read -r a b c; do \
		if [ "$$a" = conf ]; then \
			if [ "$$(sha256sum < "$(DESTDIR)$$b" 2>/dev/null | \
				cut -d' ' -f1)" = "$$c" ]; then \
				echo "rm -f $(DESTDIR)$$b"; rm -f "$(DESTDIR)$$b"; \
			elif [ -e "$(DESTDIR)$$b" ]; then \
				echo "make uninstall: keeping $(DESTDIR)$$b" \
					"(changed since it was installed)"; \
			fi; \
		else \
			echo "rm -f $(DESTDIR)$$a"; rm -f "$(DESTDIR)$$a"; \
		fi; \
	done < $(INSTALLED)
	@rmdir $(DESTDIR)$(SYSCONFDIR)/tproxyd 2>/dev/null || true
	@rmdir $(DESTDIR)$(DATADIR)/grafana $(DESTDIR)$(DATADIR)/prometheus \
		$(DESTDIR)$(DATADIR) 2>/dev/null || true
	@rmdir $(DESTDIR)$(EXAMPLEDIR) $(DESTDIR)$(PREFIX)/share/doc/tproxyd \
		2>/dev/null || true
	rm -f $(INSTALLED)

clean:
	rm -rf build
.PHONY: demo install uninstall clean

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# tproxyctl's plan (pure) with its unit tests. An explicit rule, so it takes
# precedence over the $(B)/tests/test_% pattern rule above (which would link
# src/ objects instead of tools/tproxyctl/ ones).
CTL_PLAN_OBJS := $(addprefix $(B)/tools/tproxyctl/,plan.o nft.o ipt.o conf.o \
		route.o sysctl.o util.o repair.o state.o watch_health.o)
CTL_PLAN_TESTS := $(B)/tests/test_tproxyctl_plan_render \
		$(B)/tests/test_tproxyctl_plan_opts
$(CTL_PLAN_TESTS): $(B)/tests/%: $(B)/tests/unit/%.o $(CTL_PLAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka
# doctor's route check, its pure part (the same reason for a rule).
$(B)/tests/test_tproxyctl_path: $(B)/tests/unit/test_tproxyctl_path.o \
		$(B)/tools/tproxyctl/doctor/pathparse.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka
# doctor/fwrule.c (reads one firewall rule; pure) with its unit test.
$(B)/tests/test_tproxyctl_fwrule: $(B)/tests/unit/test_tproxyctl_fwrule.o \
		$(B)/tools/tproxyctl/doctor/fwrule.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

# `make bench [QUICK=1] [BASELINE=other/build/tproxyd]`: tproxyd against
# direct forwarding, Squid, HAProxy and nginx in the namespace network
# (root; ~21 min, ~24 min with BASELINE, QUICK=1 ~2 min). BASELINE adds
# "tproxyd-before" (that binary, same configuration, alternating with
# tproxyd) and a before/after table. Results in bench/results/ (see
# bench/README.md); BENCH_ARGS passes more options to bench/bench.py
# (e.g. --duration 10, --proxies tproxyd,haproxy).
# Then the cache rows (bench-cache below).
bench: all
	@sh scripts/deps.sh bench
	$(PYTHON) bench/bench.py --build $(B) $(if $(filter 1,$(QUICK)),--quick) $(if $(BASELINE),--baseline $(BASELINE)) $(BENCH_ARGS)
	$(PYTHON) bench/cache_bench.py --build $(B) $(if $(filter 1,$(QUICK)),--quick) $(CACHE_BENCH_ARGS)
.PHONY: bench

# Driver for tests/blackbox/test_sibling.py: serves and asks ICP/HTCP with
# src/proxy/sibling.c, against a real Squid.
$(B)/tests/sib_tool: $(B)/tests/sibling/sib_tool.o $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# `make bench-cache [QUICK=1]`: the cache rows alone (issue 15): hits per
# proxy CPU-second against Squid, nginx proxy_cache and Varnish, hit ratio
# on a Zipf workload, restart with a 10 GiB disk store (root; ~20 min,
# QUICK=1 ~3 min; bench/README.md, "Cache"). Results in
# bench/results/cache.md and cache.json; CACHE_BENCH_ARGS passes more
# options to bench/cache_bench.py (e.g. --parts hits, --peers tproxyd,squid).
bench-cache: all
	@sh scripts/deps.sh bench
	$(PYTHON) bench/cache_bench.py --build $(B) $(if $(filter 1,$(QUICK)),--quick) $(CACHE_BENCH_ARGS)
.PHONY: bench-cache
