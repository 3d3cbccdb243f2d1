#!/usr/bin/env python3
"""secmaster from Python against the CLI and Polars, in one run (issue 15's benchmark).

    target/python-venv/bin/python benches/python_build.py [FACTS] [RUNS]

Generates FACTS (default 10M) facts with secmaster.generate (text values, as a CSV holds
them), writes them as CSV, and times, median of RUNS (default 3):
  arrow      secmaster.build(pyarrow table)          in-memory facts, typed per attribute
  csv        secmaster.build("facts.csv")            the CLI's engine: parse + type + build
  parse      secmaster._secmaster._count_facts(csv)  the CSV parse + typing alone
  cli        `secmaster build facts.csv -o out.parquet`, the whole process
  polars     the Polars peer's method (../shared/peers/scd2_polars.py, scatter) on the
             same facts as an in-memory DataFrame, to a collected DataFrame
  to_pandas  Master.to_pandas() against pyarrow.Table.to_pandas() of the same table
Prints each and the ratios the issue sets as targets: arrow / (csv - parse) <= 1.1 and
arrow / polars <= 1/3; to_pandas no slower than pyarrow's.
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
import pyarrow.csv as pacsv

import secmaster

ROOT = Path(__file__).resolve().parents[1]
PEERS = Path(os.environ.get("PEERS", ROOT.parent / "shared" / "peers"))


def median_time(f, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def polars_build(df):
    sys.path.insert(0, str(PEERS))
    import scd2_polars as p
    from scd2_common import order_attributes

    types = p.infer_types(df)
    attrs = order_attributes(types)
    wide = p.scatter_wide(df, attrs, types)
    return p.fill_scd2(wide.lazy(), attrs).collect()


def main():
    facts = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    securities = max(facts // 50, 10)
    trail = secmaster.generate(securities, facts, seed=42)
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "facts.csv"
        pacsv.write_csv(trail, csv)
        cli = ROOT / "target" / "release" / "secmaster"
        t = {}
        t["arrow"] = median_time(lambda: secmaster.build(trail), runs)
        t["csv"] = median_time(lambda: secmaster.build(csv), runs)
        t["parse"] = median_time(lambda: secmaster._secmaster._count_facts(csv), runs)
        if cli.exists():
            out = Path(tmp) / "out.parquet"
            t["cli"] = median_time(
                lambda: subprocess.run([cli, "build", csv, "-o", out], check=True), runs
            )
        df = pl.from_arrow(trail)
        if (PEERS / "scd2_polars.py").exists():
            t["polars"] = median_time(lambda: polars_build(df), runs)
        master = secmaster.build(trail)
        table = master.to_arrow()
        t["to_pandas"] = median_time(master.to_pandas, runs)
        t["pyarrow.to_pandas"] = median_time(table.to_pandas, runs)
    print(f"{facts:,} facts, {master.num_rows:,} rows; medians of {runs}")
    for k, v in t.items():
        print(f"  {k:18} {v:7.2f} s")
    build_only = t["csv"] - t["parse"]
    print(f"  arrow / (csv - parse)      = {t['arrow'] / build_only:.2f}  (target <= 1.1)")
    if "polars" in t:
        print(f"  arrow / polars             = {t['arrow'] / t['polars']:.2f}  (target <= 0.33)")
    print(f"  to_pandas / pyarrow's      = {t['to_pandas'] / t['pyarrow.to_pandas']:.2f}  (target <= 1)")


if __name__ == "__main__":
    main()
