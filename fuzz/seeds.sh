#!/usr/bin/env bash
# Writes the fuzz targets' seed inputs to fuzz/seeds/TARGET/ from samples/ and the release
# binary: real fact files, tables in every format, a store's manifest. Run by run.sh when a
# seed folder is missing; its output is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q -p secmaster-cli
B=$PWD/target/release/secmaster
S=$PWD/fuzz/seeds
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$S"/{fact_csv,fact_json_lines,table_parquet,table_ipc,table_csv,table_sqlite,store_open,text_forms}

# fact_csv: two option bytes (block size, depth and date layout), then the file.
# The prototype's header-less, quoted, MM/DD/YY files too, where this checkout has them.
for f in samples/*.csv ../shared/data/prototype/*.csv; do
    [ -f "$f" ] || continue
    name=$(basename "$f")
    case "$f" in ../*) name=prototype-$name ;; esac
    for opts in '\x07\x00' '\x3f\x05'; do
        { printf "$opts"; cat "$f"; } > "$S/fact_csv/$name.$(printf "$opts" | xxd -p)"
    done
done

# fact_json_lines: the sample trail as JSON Lines.
awk -F, 'NR > 1 { printf "{\"security_id\": %s, \"attribute\": \"%s\", \"value\": \"%s\", \"effective_date\": \"%s\"}\n", $1, $2, $3, $4 }' \
    samples/audit_trail.csv > "$S/fact_json_lines/audit_trail.jsonl"
printf '{"security_id": 1, "attribute": "px", "value": 1.5, "effective_date": "2024-01-01"}\n{"security_id": 1, "attribute": "px", "value": null, "effective_date": "2024-02-01"}\n{"security_id": 2, "attribute": "ok", "value": true, "effective_date": "2024-01-01"}\n' \
    > "$S/fact_json_lines/typed.jsonl"

# Tables: the sample master, merged, in every format.
"$B" build samples/audit_trail.csv samples/audit_trail_update.csv -o "$work/m.parquet"
cp "$work/m.parquet" "$S/table_parquet/master.parquet"
"$B" convert "$work/m.parquet" "$S/table_ipc/master.arrow"
"$B" convert "$work/m.parquet" "$S/table_sqlite/master.db"
"$B" convert "$work/m.parquet" "$work/m.csv"
# table_csv: the sidecar's length (u16 LE), the sidecar without its digest (so a mutated CSV
# still reaches the parser), the CSV; and a CSV alone.
python3 - "$work/m.csv" "$S/table_csv/master" <<'PY'
import json, struct, sys
csv, out = sys.argv[1], sys.argv[2]
side = json.load(open(csv + ".schema.json"))
side.pop("data", None)
side = json.dumps(side).encode()
body = open(csv, "rb").read()
open(out + ".with-sidecar", "wb").write(struct.pack("<H", len(side)) + side + body)
open(out + ".alone", "wb").write(b"\xff\xff" + body)
PY

# store_open: a store's manifest with a state file, a log segment and table files.
"$B" init "$work/s" >/dev/null
"$B" ingest "$work/s" samples/audit_trail.csv --no-compact >/dev/null
"$B" compact "$work/s" >/dev/null
"$B" ingest "$work/s" samples/audit_trail_update.csv --no-compact >/dev/null
cp "$work/s/manifest.json" "$S/store_open/manifest.json"

# text_forms: dates, numbers and layouts.
i=0
for t in 2024-03-22 +12345-01-01 -0001-12-31 0 -9223372036854775808 1.5e300 'NaN(0x7ff8000000000001)' \
    inf -0.0 TRUE $'%d.%m.%Y\n22.03.2024\n01.01.1999' $'%m/%d/%y\n03/22/24\n12/31/69'; do
    printf '%s' "$t" > "$S/text_forms/seed$((i++))"
done
echo "seeds written to $S"
