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

# Fuzzing (issue 9.6): cargo-fuzz on the nightly toolchain, in its own crate under fuzz/, so
# nothing else here needs nightly. FUZZ_TIME is seconds per target; the corpora under
# fuzz/corpus/ are kept minimised (make fuzz-cmin) and committed.
FUZZ_TIME ?= 60
FUZZ_TARGETS ?= config_text rpc_request http_request listener_protocol ctl_reply

.PHONY: fuzz fuzz-cmin
fuzz:
	command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	cd fuzz && for t in $(FUZZ_TARGETS); do \
		cargo +nightly fuzz run $$t -- -max_total_time=$(FUZZ_TIME) -timeout=10 || exit 1; \
	done

# Shrinks each corpus to a set cover of its edges (hit counts ignored), which keeps the
# committed corpora to a few dozen KB.
fuzz-cmin:
	cd fuzz && for t in $(FUZZ_TARGETS); do \
		cargo +nightly fuzz cmin $$t -- -set_cover_merge=1 -use_counters=0 || exit 1; \
	done
