#!/usr/bin/env bash
# Read-side queries, whole process: secmaster on its own master file and store against
# DuckDB on the same file (issue 18). Medians of RUNS alternating runs; wall seconds and
# peak RSS from /usr/bin/time.
#
#   cargo build --release && benches/queries.sh [FACTS] [SECURITIES]
#
# Uses ../shared/peers' virtualenv for DuckDB (PEERS_WORK, default /tmp/secmaster-peers;
# `../shared/peers/vs_peers.sh` makes it) and keeps its data in QUERY_WORK.
set -euo pipefail
cd "$(dirname "$0")/.."
facts=${1:-10000000}
securities=${2:-250000}
runs=${RUNS:-5}
bin=$PWD/target/release/secmaster
python=${PEERS_WORK:-/tmp/secmaster-peers}/venv/bin/python
work=${QUERY_WORK:-/tmp/secmaster-queries}
root=$PWD
day=2024-06-30
mkdir -p "$work"
cd "$work"

if [ ! -f "facts-$facts.csv" ]; then
    "$bin" generate --securities "$securities" --facts "$facts" --seed 42 -o "facts-$facts.csv"
fi
"$bin" build "facts-$facts.csv" -o m.parquet
if [ ! -d "store-$facts" ]; then
    "$bin" init "store-$facts" >/dev/null
    "$bin" ingest "store-$facts" "facts-$facts.csv" >/dev/null
fi
store=store-$facts
id=$(sed -n 2p "facts-$facts.csv" | cut -d, -f1)
ticker=$("$bin" build m.parquet --security "$id" --as-of "$day" --columns ticker --format csv |
    sed -n 2p | cut -d, -f4)

cat >duck.py <<'EOF'
import sys, duckdb
duckdb.connect().execute(sys.argv[1])
EOF
snapshot="COPY (SELECT * FROM 'm.parquet' WHERE effective_start_date <= DATE '$day'
  AND (effective_end_date IS NULL OR DATE '$day' < effective_end_date)) TO 'snap-duckdb.parquet'"
lookup="COPY (SELECT * FROM 'm.parquet' WHERE security_id = $id) TO '/dev/null' (FORMAT csv)"

# name|command, in the order they alternate. DuckDB runs in Python: its start (importing
# duckdb) is timed alone, to be told apart from its queries.
cases=(
    "secmaster snapshot|$bin build m.parquet --as-of $day -o snap.parquet"
    "duckdb startup|$python duck.py 'SELECT 1'"
    "duckdb snapshot|$python duck.py \"$snapshot\""
    "secmaster lookup|$bin build m.parquet --security $id --format csv"
    "duckdb lookup|$python duck.py \"$lookup\""
    "store lookup|$bin build $store --security $id --format csv"
    "store resolve|$bin resolve $store --where ticker=$ticker --on $day --format csv"
    "store history|$bin history $store --security $id --format csv"
)

declare -A times mems
for ((r = 0; r < runs; r++)); do
    for case in "${cases[@]}"; do
        name=${case%%|*}
        cmd=${case#*|}
        /usr/bin/time -o time.txt -f "%e %M" bash -c "$cmd" >/dev/null 2>&1
        out=$(tail -1 time.txt)
        times[$name]+="${out% *} "
        mems[$name]+="${out#* } "
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "facts=$facts securities=$securities runs=$runs security=$id ticker=$ticker day=$day"
printf '| %-18s | %8s | %8s |\n' query "wall s" "RSS MB"
printf '|%s|%s|%s|\n' "--------------------" "----------" "----------"
for case in "${cases[@]}"; do
    name=${case%%|*}
    t=$(echo "${times[$name]}" | median)
    m=$(echo "${mems[$name]}" | median)
    printf '| %-18s | %8s | %8d |\n' "$name" "$t" "$((m / 1024))"
done
# The two snapshots hold the same rows.
"$python" "$root/../shared/peers/compare.py" snap.parquet snap-duckdb.parquet
