#!/usr/bin/env bash
# The as-of positions join, whole process, against Polars and DuckDB (../shared/peers/asof.py):
# `secmaster positions POS.csv FACTS.csv -o OUT.parquet` (inner join, CSV in, Parquet out) and
# each peer building the master from the same facts, then joining. Runs them alternately
# RUNS times (default 3) per size and prints median wall seconds and peak RSS (MiB) from
# /usr/bin/time, the ratios to Polars, and whether each output holds Polars' rows.
#
#   benches/asof_vs_peers.sh 1000000 10000000     # facts; 1M positions each
#
# Run from the project root after `cargo build --release`. Facts come from the peers'
# gen_facts.py (as vs_peers.sh makes them) in ${PEERS_WORK:-/tmp/secmaster-peers}, whose
# venv has Polars and DuckDB; PEERS (default "polars duckdb") picks the peers.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
peers="${PEERS_DIR:-$here/../shared/peers}"
work="${PEERS_WORK:-/tmp/secmaster-peers}"
py="$work/venv/bin/python"
bin="${SECMASTER:-$here/target/release/secmaster}"
runs="${RUNS:-3}"
positions="${POSITIONS:-1000000}"
mkdir -p "$work/data" "$work/asof"
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for facts in "$@"; do
  data="$work/data/facts_$facts"
  [ -f "$data.csv" ] || "$py" "$peers/gen_facts.py" --securities $((facts / 100 > 0 ? facts / 100 : 1)) --facts "$facts" --seed 42 --out "$data" > /dev/null
  pos="$work/asof/positions_${positions}_on_$facts.csv"
  [ -f "$pos" ] || "$py" "$peers/asof.py" gen "$data.csv" "$positions" 7 "$pos"
  out="$work/asof/out_$facts"
  : > "$out.times"
  for run in $(seq "$runs"); do
    for who in secmaster ${PEERS:-polars duckdb}; do
      case $who in
        secmaster) cmd=("$bin" positions "$pos" "$data.csv" -o "$out.$who.parquet") ;;
        *) cmd=("$py" "$peers/asof.py" "$who" "$pos" "$data.csv" "$out.$who.parquet") ;;
      esac
      /usr/bin/time -f "$who %e %M" -a -o "$out.times" "${cmd[@]}" > /dev/null
    done
  done
  echo "## $facts facts, $positions positions ($runs runs, median wall s / peak MiB)"
  for who in secmaster ${PEERS:-polars duckdb}; do
    s=$(awk -v w=$who '$1 == w {print $2}' "$out.times" | median)
    m=$(awk -v w=$who '$1 == w {print $3 / 1024}' "$out.times" | median)
    echo "$who $s $m"
  done | tee "$out.medians"
  awk '{s[$1] = $2; m[$1] = $3}
       END {for (w in s) if (w != "polars" && s["polars"] > 0)
              printf "%s/polars: time %.2f, memory %.2f\n", w, s[w] / s["polars"], m[w] / m["polars"]}' \
      "$out.medians"
  "$py" - "$out.secmaster.parquet" "$out.polars.parquet" <<'PY'
import sys, pyarrow as pa, pyarrow.parquet as pq
def norm(t):
    return pa.table({n: c.cast(pa.string()) if pa.types.is_large_string(c.type) else c
                     for n, c in zip(t.column_names, t.columns)})
a, b = (norm(pq.read_table(p)) for p in sys.argv[1:])
print(f"secmaster output equals Polars': {a.equals(b)} ({a.num_rows} rows)")
PY
done
