"""secmaster on Spark against the same build in plain Spark SQL, on local Spark, in one run.

    target/python-venv/bin/python benches/spark_build.py --facts 10000000

Both read the same Parquet fact files (a generated trail: text values, with an explicit
arrival column `n`) and write their table to Spark's `noop` sink, so each is timed from
files to a finished table. secmaster's is `secmaster.spark.build`. The plain one is what a
Spark user writes: the last arrival of each key (`max_by`), a pivot by attribute, then
`last(value, true)` over a window by security ordered by date to carry values forward (a
retraction kept apart from "no fact" as a struct, so the results can be equal), `lead` for
the end date, each column cast to the type secmaster decided (inference not charged to
it). Results are compared by row count and an order-free checksum (the sum of each row's
xxhash64). Then secmaster's time is split by running its stages alone: the type summary
pass, the shuffle with the facts handed to Python as Arrow and dropped, and the build
itself, timed inside each task (sort by arrival + the Rust build). The per-core rates give
the estimate for 1B facts on N executors.
"""

from __future__ import annotations

import argparse
import glob
import os
import statistics
import sys
import tempfile
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import secmaster

os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql.window import Window  # noqa: E402

from secmaster import spark as sms  # noqa: E402

SPARK_TYPE = {None: "string", "bool": "boolean", "int": "bigint", "float": "double",
              "str": "string", "date": "date"}


def timed(f):
    t = time.perf_counter()
    out = f()
    return time.perf_counter() - t, out


def checksum(df):
    row = df.select(F.count(F.lit(1)).alias("n"),
                    F.sum(F.xxhash64(*[F.col(f"`{c}`") for c in df.columns]).cast("decimal(38,0)")).alias("h")).first()
    return row.n, row.h


def plain_sql_build(facts, decided):
    """The build a Spark user writes: dedupe by arrival, pivot, carry forward by window."""
    names = [n for n, _ in decided]
    last = (facts.groupBy("security_id", "effective_date", "attribute")
            .agg(F.max_by("value", "n").alias("value")))
    # A struct keeps a retraction (a fact whose value is null) apart from no fact at all.
    pivoted = (last.groupBy("security_id", "effective_date").pivot("attribute", names)
               .agg(F.first(F.struct(F.lit(True).alias("set"), F.col("value").alias("v")))))
    by_date = Window.partitionBy("security_id").orderBy("effective_date")
    carried = Window.partitionBy("security_id").orderBy("effective_date").rowsBetween(
        Window.unboundedPreceding, Window.currentRow)
    cols = [F.col("security_id"), F.col("effective_date").alias("effective_start_date"),
            F.lead("effective_date").over(by_date).alias("effective_end_date")]
    for name, ty in decided:
        value = F.last(F.col(f"`{name}`"), ignorenulls=True).over(carried).getField("v")
        if ty == "bool":
            value = F.lower(value) == "true"
        cols.append(value.cast(SPARK_TYPE[ty]).alias(name))
    return pivoted.select(*cols)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facts", type=int, default=10_000_000)
    parser.add_argument("--securities", type=int, default=0, help="default: facts / 20")
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--memory", default="8g")
    parser.add_argument("--timings-only", action="store_true",
                        help="only the timed runs: no equality check, no stages")
    args = parser.parse_args()
    securities = args.securities or max(args.facts // 20, 10)

    work = tempfile.mkdtemp(prefix="secmaster-spark-bench-")
    t, trail = timed(lambda: secmaster.generate(securities, args.facts, seed=42))
    trail = trail.append_column("n", pa.array(range(trail.num_rows), pa.int64()))
    for i, part in enumerate(range(0, trail.num_rows, 2_500_000)):
        pq.write_table(trail.slice(part, 2_500_000), f"{work}/facts-{i:03}.parquet",
                       row_group_size=500_000)
    del trail
    print(f"generated {args.facts:,} facts on {securities:,} securities in {t:.1f}s -> {work}")

    spark = (SparkSession.builder.master("local[2]").appName("secmaster-bench")
             .config("spark.driver.memory", args.memory)
             .config("spark.sql.shuffle.partitions", str(args.partitions))
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.execution.arrow.maxRecordsPerBatch", "100000")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    facts = spark.read.parquet(*sorted(glob.glob(f"{work}/facts-*.parquet")))

    def secmaster_build():
        return sms.build(facts, arrival="n", partitions=args.partitions)

    # The decided columns, for the plain build's casts (from secmaster's summary pass).
    t_types, rows = timed(lambda: facts.select("security_id", "attribute", "value", "effective_date")
                          .mapInArrow(_summarize, "summary string").collect())
    decided = secmaster._secmaster._decide_columns([r.summary for r in rows])

    results = {"secmaster": [], "plain": []}
    sums = {}
    for run in range(args.runs):
        for name, make in [("secmaster", secmaster_build),
                           ("plain", lambda: plain_sql_build(facts, decided))]:
            t, _ = timed(lambda: make().write.format("noop").mode("overwrite").save())
            results[name].append(t)
            print(f"run {run + 1}: {name:9} {t:7.1f}s", flush=True)
    if args.timings_only:
        for name, times in results.items():
            print(f"{name}: {', '.join(f'{t:.1f}' for t in times)} s")
        spark.stop()
        return
    for name, make in [("secmaster", secmaster_build),
                       ("plain", lambda: plain_sql_build(facts, decided))]:
        sums[name] = checksum(make())
    equal = sums["secmaster"] == sums["plain"]
    print(f"rows and checksums: secmaster {sums['secmaster']}, plain {sums['plain']} -> "
          f"{'EQUAL' if equal else 'DIFFERENT'}")

    # Stages alone: the summary pass; shuffle + Arrow hand-over (dropped in Python); build
    # timed inside the tasks.
    stage_log = os.path.join(work, "stages.txt")
    keyed = facts.select("security_id", "attribute", "value", "effective_date", "n")

    def drop(batches):
        for _ in batches:
            pass
        return iter(())

    def timed_build(batches):
        batches = list(batches)
        if not batches:
            return iter(())
        table = pa.Table.from_batches(batches)
        t0 = time.perf_counter()
        table = table.take(pc.sort_indices(table, sort_keys=[("n", "ascending")])).drop(["n"])
        t1 = time.perf_counter()
        secmaster._secmaster._build_part(table, decided)
        t2 = time.perf_counter()
        with open(stage_log, "a") as f:
            f.write(f"{table.num_rows} {t1 - t0} {t2 - t1}\n")
        return iter(())

    summary_t, shuffle_t = [], []
    for _ in range(args.runs):
        summary_t.append(timed(lambda: facts.select("security_id", "attribute", "value", "effective_date")
                               .mapInArrow(_summarize, "summary string").collect())[0])
        shuffle_t.append(timed(lambda: keyed.repartition(args.partitions, "security_id")
                               .mapInArrow(drop, keyed.schema).write.format("noop")
                               .mode("overwrite").save())[0])
    open(stage_log, "w").close()
    timed(lambda: keyed.repartition(args.partitions, "security_id")
          .mapInArrow(timed_build, keyed.schema).write.format("noop").mode("overwrite").save())
    tasks = [tuple(map(float, line.split())) for line in open(stage_log)]
    facts_n = sum(t[0] for t in tasks)
    sort_s = sum(t[1] for t in tasks)
    build_s = sum(t[2] for t in tasks)

    med = {k: statistics.median(v) for k, v in results.items()}
    print()
    print(f"| {args.facts:,} facts, local[2], {args.partitions} partitions | median of {args.runs} |")
    print("|---|---:|")
    print(f"| secmaster.spark.build | {med['secmaster']:.1f} s |")
    print(f"| plain Spark SQL (max_by, pivot, last(value, true) window) | {med['plain']:.1f} s |")
    print(f"| speed-up | {med['plain'] / med['secmaster']:.2f}x |")
    print(f"| results | {'equal' if equal else 'DIFFERENT'} ({sums['secmaster'][0]:,} rows) |")
    print()
    print("secmaster's stages run alone (median wall time; task times summed over tasks):")
    print(f"  type summary pass (read + Arrow to Python + Rust summary): {statistics.median(summary_t):.1f} s")
    print(f"  read + shuffle by security + Arrow to Python (dropped):     {statistics.median(shuffle_t):.1f} s")
    print(f"  in tasks: sort by arrival {sort_s:.1f} s, Rust build {build_s:.1f} s "
          f"({facts_n / build_s / 1e6:.2f} M facts/s per core)")
    rate_summary = args.facts / statistics.median(summary_t) / 2
    rate_shuffle = args.facts / statistics.median(shuffle_t) / 2
    rate_build = facts_n / (sort_s + build_s)
    print(f"  per-core rates: summary {rate_summary / 1e6:.2f} M/s, "
          f"shuffle+transfer {rate_shuffle / 1e6:.2f} M/s, sort+build {rate_build / 1e6:.2f} M/s")
    for cores in (64, 256, 1024):
        est = 1e9 / cores * (1 / rate_summary + 1 / rate_shuffle + 1 / rate_build)
        print(f"  1B facts on {cores} cores (e.g. {cores // 8} executors x 8): ~{est / 60:.1f} min "
              f"(linear in facts per core; network shuffle not modelled beyond this machine's)")
    spark.stop()


def _summarize(batches):
    batches = list(batches)
    if batches:
        table = pa.Table.from_batches(batches)
        yield pa.RecordBatch.from_pydict({"summary": [secmaster._secmaster._type_summary(table)]})


if __name__ == "__main__":
    main()
