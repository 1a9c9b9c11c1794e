#!/usr/bin/env bash
# Run one fuzz target (or all) for a number of seconds each.
#   fuzz/run.sh [parse|parse_fast|check|compile|all] [SECONDS] [LIBFUZZER-FLAGS...]
# e.g. fuzz/run.sh compile 1800 -len_control=0 (longer structured inputs at once)
# Needs a nightly toolchain and cargo-fuzz:
#   rustup toolchain install nightly && cargo install cargo-fuzz
# Crashes land in fuzz/artifacts/TARGET/; minimise with
#   cargo +nightly fuzz tmin TARGET fuzz/artifacts/TARGET/crash-...
# and add the minimised input to fuzz/regressions/TARGET/ so `cargo test`
# replays it forever after.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:-all}
seconds=${2:-60}
targets=(parse parse_fast check compile)
[ "$target" = all ] || targets=("$target")
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  # Raw text up to 512 KiB, past the largest inputs that ever cost seconds;
  # structured inputs decode a few hundred bytes into a large policy.
  max_len=65536
  seeds=("regressions/$t")
  case "$t" in
    parse) max_len=524288 ;;
    # The parse corpus seeds the differential target (both read raw text).
    parse_fast) max_len=524288; seeds=(corpus/parse regressions/parse) ;;
  esac
  echo "== $t for ${seconds}s"
  cargo +nightly fuzz run -O "$t" "corpus/$t" "${seeds[@]}" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" "${@:3}"
done
