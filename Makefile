PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(DESTDIR)$(PREFIX)/bin
MANDIR = $(DESTDIR)$(PREFIX)/share/man
DOCDIR = $(DESTDIR)$(PREFIX)/share/doc/supervisor-rs
BINARIES = supervisord supervisorctl echo_supervisord_conf pidproxy

.PHONY: build test lint run install clean

build:
	cargo build --release --locked

test:
	cargo test --locked
	$(MAKE) lint

lint:
	cargo fmt --all -- --check
	cargo clippy --locked --all-targets -- -D warnings

run:
	cargo run --release --locked --bin supervisord -- -n -c conf/demo.conf

install: build
	install -d $(BINDIR) $(MANDIR)/man1 $(MANDIR)/man5 $(DOCDIR)
	for b in $(BINARIES); do install -m 0755 target/release/$$b $(BINDIR)/$$b; done
	for m in man/*.1; do [ -e "$$m" ] && install -m 0644 $$m $(MANDIR)/man1/ || true; done
	for m in man/*.5; do [ -e "$$m" ] && install -m 0644 $$m $(MANDIR)/man5/ || true; done
	install -m 0644 conf/supervisord.conf $(DOCDIR)/supervisord.conf.sample

clean:
	cargo clean

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
