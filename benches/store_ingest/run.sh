#!/bin/bash
# The store's whole-process ingest benchmark (BENCHMARKS.md, "Store ingest").
#
#   benches/store_ingest/run.sh NEW [OLD] [WORK]
#
# NEW and OLD are secmaster binaries (OLD optional, for an A/B in the same window); WORK is
# where the data goes (default /tmp/secmaster-store-bench, about 1.5 GB). Generates 10M
# facts over 100k securities and 30 batches of 1,000 facts, then times: `build` of the 10M
# facts (3 runs before, 2 after), a full build of a store (`init` + `ingest` of the 10M),
# the 30 batches ingested one by one (alternately into OLD's store), and `compact`. Last, it
# checks that the store's table equals a build of the same files, byte for byte.
set -euo pipefail
NEW=$(realpath "$1"); OLD=${2:+$(realpath "$2")}; WORK=${3:-/tmp/secmaster-store-bench}
HERE=$(dirname "$(realpath "$0")")
mkdir -p "$WORK/batches" && cd "$WORK"
[ -f facts.csv ] || "$NEW" generate --securities 100000 --facts 10000000 --seed 42 -o facts.csv
[ -f batches/batch_029.csv ] || python3 "$HERE/batches.py" facts.csv batches 30 1000
date -u +"start %F %T UTC"; uptime
for i in 1 2 3; do /usr/bin/time -f "build-new %e s %M KB" "$NEW" build facts.csv -o x.parquet; done
rm -rf sn so
"$NEW" init sn >/dev/null
/usr/bin/time -f "store-build-new %e s %M KB" "$NEW" ingest sn facts.csv >/dev/null
if [ -n "$OLD" ]; then
  "$OLD" init so >/dev/null
  /usr/bin/time -f "store-build-old %e s %M KB" "$OLD" ingest so facts.csv >/dev/null
fi
for ((b = 0; b < 30; b++)); do
  f=$(printf "batches/batch_%03d.csv" $b)
  for v in old new; do
    if [ $v = old ]; then [ -n "$OLD" ] || continue; bin=$OLD; s=so; else bin=$NEW; s=sn; fi
    # bash's clock, read without running `date` (two processes fewer in the timing)
    t0=$EPOCHREALTIME; out=$("$bin" ingest $s "$f"); t1=$EPOCHREALTIME
    echo "ingest-$v $b $(echo "$t1 - $t0" | bc) $(echo "$out" | grep -c compacted || true)"
  done
done
[ -z "$OLD" ] || /usr/bin/time -f "compact-old %e s %M KB" "$OLD" compact so
/usr/bin/time -f "compact-new %e s %M KB" "$NEW" compact sn
for i in 1 2; do /usr/bin/time -f "build-new %e s %M KB" "$NEW" build facts.csv -o x.parquet; done
uptime; date -u +"end %F %T UTC"
"$NEW" build sn -o store.parquet
"$NEW" build facts.csv $(printf "batches/batch_%03d.csv " $(seq 0 29)) -o files.parquet
cmp store.parquet files.parquet && echo "the store's table == a build of the same files"
