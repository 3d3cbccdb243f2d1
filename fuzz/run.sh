#!/usr/bin/env bash
# Runs the fuzz targets under libFuzzer: `fuzz/run.sh SECONDS [TARGET...]` runs each named
# target (default: all) for SECONDS, one after the other, from fuzz/seeds/TARGET and the
# corpus in fuzz/corpus/TARGET, then minimizes the corpus. Findings (panics, timeouts, memory
# blow-ups) are written to fuzz/artifacts/TARGET/ and the run goes on; the script lists them
# at the end and fails if there are any. Copy one to fuzz/regressions/TARGET/ once fixed,
# where the normal test suite replays it (secmaster-store's `fuzz_corpus` test).
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
[ -d seeds ] || ./seeds.sh
cargo +nightly fuzz build
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    echo "== $t: ${seconds}s"
    cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=65536 \
        -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -artifact_prefix="artifacts/$t/" 2>&1 | grep -E '^#|INFO: fuzzed for|crash|timeout|oom|deadly' | tail -5 || true
    cargo +nightly fuzz cmin "$t" "corpus/$t" -- -timeout=20 -rss_limit_mb=4096 >/dev/null 2>&1
    echo "== $t: $(ls "corpus/$t" | wc -l) inputs in corpus/$t"
done
findings=$(for t in "${targets[@]}"; do find "artifacts/$t" -type f; done)
if [ -n "$findings" ]; then
    echo "findings:"
    echo "$findings"
    exit 1
fi
echo "no findings"
