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

# Performance figures: our micro-benchmarks, the latency probes, then supbench.py for ours
# and, when its venv exists, the reference, side by side (same sitting).
REF_VENV ?= /tmp/ref-venv
SUPBENCH ?= ../shared/bench/supbench.py
BENCH_N ?= 1000
.PHONY: bench
bench: build
	cargo bench --locked --bench micro
	python3 bench/latency.py --supervisord target/release/supervisord --supervisorctl target/release/supervisorctl --n $(BENCH_N)
	python3 bench/reload.py --supervisord target/release/supervisord --n 10000
	python3 bench/table.py --supbench $(SUPBENCH) --n $(BENCH_N) \
	  ours=target/release/supervisord,target/release/supervisorctl \
	  $$([ -x $(REF_VENV)/bin/supervisord ] && echo reference=$(REF_VENV)/bin/supervisord,$(REF_VENV)/bin/supervisorctl)
