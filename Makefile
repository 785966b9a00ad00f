# Install layout.  `make install` copies what `make build` made and builds nothing, so it
# can run as root after an unprivileged build.  Packagers: DESTDIR=staging root,
# PROFILE=packaging keeps debug symbols (after `make build PROFILE=packaging`).
PREFIX ?= /usr/local
DESTDIR ?=
SYSCONFDIR ?= /etc
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/supervisor-rs
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
LOGDIR ?= /var/log/supervisor
PROFILE ?= release
# Where cargo put the binaries (it honours CARGO_TARGET_DIR too).
TARGET_DIR = $(or $(CARGO_TARGET_DIR),target)
BUILT = $(TARGET_DIR)/$(PROFILE)
BINARIES = supervisord supervisorctl echo_supervisord_conf pidproxy
MAN1 = supervisord.1 supervisorctl.1 echo_supervisord_conf.1 pidproxy.1
MAN5 = supervisord.conf.5
DOCS = README.md CHANGELOG.md LICENSE doc/differences.md
# Fills in the paths of this install.
SUBST = sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'
# $(call install_config,TEMPLATE,FILE): an existing FILE is the admin's and stays; the
# shipped version goes next to it as FILE.dist.
install_config = if [ -e "$(2)" ]; then echo "keeping $(2); the shipped version is $(2).dist"; \
	$(SUBST) $(1) > "$(2).dist"; else echo "writing $(2)"; $(SUBST) $(1) > "$(2)" && chmod 0644 "$(2)"; fi

.PHONY: build test lint run install clean

build:
	cargo build --locked --profile $(PROFILE)

test:
	cargo test --locked
	$(MAKE) lint

lint:
	cargo fmt --all -- --check
	cargo clippy --locked --all-targets -- -D warnings

# Builds every binary (supervisorctl too), then runs the daemon in the foreground.
run: build
	$(BUILT)/supervisord -n -c conf/demo.conf

.PHONY: uninstall

# Programs, man pages and the init-system files are replaced; the configuration
# (supervisord.conf, conf.d/, default/supervisord) is written only where none exists.
install:
	@for b in $(BINARIES); do \
	    [ -x "$(BUILT)/$$b" ] || { echo "$(BUILT)/$$b is missing: run 'make build' first (CARGO_TARGET_DIR and PROFILE must match)" >&2; exit 1; }; \
	done
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)
	install -d $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(SYSCONFDIR)/init.d $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	install -d $(DESTDIR)$(SYSCONFDIR)/default $(DESTDIR)$(SYSCONFDIR)/supervisor/conf.d
	install -d -m 0750 $(DESTDIR)$(LOGDIR)
	for b in $(BINARIES); do install -m 0755 $(BUILT)/$$b $(DESTDIR)$(BINDIR)/$$b || exit 1; done
	install -m 0644 $(addprefix man/,$(MAN1)) $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(addprefix man/,$(MAN5)) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 conf/supervisord.conf $(DESTDIR)$(DOCDIR)/supervisord.conf.sample
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	$(SUBST) dist/supervisord.service.in > $(DESTDIR)$(SYSTEMDUNITDIR)/supervisord.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/supervisord.service
	$(SUBST) dist/supervisord.init.in > $(DESTDIR)$(SYSCONFDIR)/init.d/supervisord
	chmod 0755 $(DESTDIR)$(SYSCONFDIR)/init.d/supervisord
	install -m 0644 dist/supervisor.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/supervisor
	@$(call install_config,dist/supervisord.conf.in,$(DESTDIR)$(SYSCONFDIR)/supervisor/supervisord.conf)
	@$(call install_config,dist/supervisord.default.in,$(DESTDIR)$(SYSCONFDIR)/default/supervisord)

# Removes what `install` put, except the configuration and logs an admin may have.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(BINARIES))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(MAN1)) $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(MAN5))
	rm -f $(DESTDIR)$(DOCDIR)/supervisord.conf.sample $(addprefix $(DESTDIR)$(DOCDIR)/,$(notdir $(DOCS)))
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/supervisord.service $(DESTDIR)$(SYSCONFDIR)/init.d/supervisord
	rm -f $(DESTDIR)$(SYSCONFDIR)/logrotate.d/supervisor
	rm -f $(DESTDIR)$(SYSCONFDIR)/supervisor/supervisord.conf.dist $(DESTDIR)$(SYSCONFDIR)/default/supervisord.dist
	for d in $(DESTDIR)$(DOCDIR) $(DESTDIR)$(LOGDIR); do \
	    if [ -d "$$d" ] && [ -z "$$(ls -A "$$d")" ]; then rmdir "$$d" || exit 1; fi; \
	done

clean:
	cargo clean

# Fuzzing (issue 9.6): cargo-fuzz on the nightly toolchain, in its own crate under fuzz/, so
# nothing else here needs nightly. FUZZ_TIME is seconds per target; the corpora under
# fuzz/corpus/ are kept minimised (make fuzz-cmin) and committed.
FUZZ_TIME ?= 60
FUZZ_TARGETS ?= config_text rpc_request http_request listener_protocol ctl_reply

.PHONY: fuzz fuzz-cmin
fuzz:
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cd fuzz && for t in $(FUZZ_TARGETS); do \
		cargo +nightly fuzz run $$t -- -max_total_time=$(FUZZ_TIME) -timeout=60 || exit 1; \
	done

# Shrinks each corpus to a set cover of its edges (hit counts ignored), which keeps the
# committed corpora to a few dozen KB.
fuzz-cmin:
	cd fuzz && for t in $(FUZZ_TARGETS); do \
		cargo +nightly fuzz cmin $$t -- -set_cover_merge=1 -use_counters=0 || exit 1; \
	done

# Supervisor 4.3 itself, for the tests that run our binaries beside the reference's
# (tests/update.rs): a project-local virtualenv from PyPI. `.ci/run` calls this first.
REFERENCE_VENV = .venv-ref

.PHONY: reference
reference:
	@if ! $(REFERENCE_VENV)/bin/python -c 'import supervisor' 2>/dev/null; then \
		python3 -m venv $(REFERENCE_VENV) && \
		$(REFERENCE_VENV)/bin/pip install --quiet --disable-pip-version-check 'supervisor==4.3.0'; \
	fi

# The browser test (tests/web_browser.rs) drives Debian's headless Chromium through its
# chromedriver with Selenium from a project-local virtualenv. `.ci/run` calls this first.
BROWSER_VENV = .venv-browser
SELENIUM = selenium==4.27.1

.PHONY: browser-deps
browser-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends chromium chromium-driver; \
	fi
	@if ! $(BROWSER_VENV)/bin/python -c 'import selenium' 2>/dev/null; then \
		python3 -m venv $(BROWSER_VENV) && \
		$(BROWSER_VENV)/bin/pip install --quiet --disable-pip-version-check '$(SELENIUM)'; \
	fi

# Performance figures: our micro-benchmarks, the latency, reload, memory and restart probes,
# then supbench.py for ours
# and, when its venv exists, the reference, side by side (same sitting).
REF_VENV ?= /tmp/ref-venv
SUPBENCH ?= ../shared/bench/supbench.py
BENCH_N ?= 1000
.PHONY: bench
bench: build
	cargo bench --locked --bench micro
	python3 bench/latency.py --supervisord target/release/supervisord --supervisorctl target/release/supervisorctl --n $(BENCH_N)
	python3 bench/reload.py --supervisord target/release/supervisord --n 10000
	python3 bench/probes.py --supbench $(SUPBENCH) memory target/release/supervisord
	python3 bench/probes.py --supbench $(SUPBENCH) restart target/release/supervisord
	python3 bench/table.py --supbench $(SUPBENCH) --n $(BENCH_N) \
	  ours=target/release/supervisord,target/release/supervisorctl \
	  $$([ -x $(REF_VENV)/bin/supervisord ] && echo reference=$(REF_VENV)/bin/supervisord,$(REF_VENV)/bin/supervisorctl)
