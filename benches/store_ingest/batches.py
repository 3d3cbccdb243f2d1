#!/usr/bin/env python3
"""Write successive 1,000-fact batches touching random existing securities.

Each fact keeps an (security, attribute) pair seen in the trail, takes a value of the
same attribute from another security (so the type is right), and a date: 80% spread over
the trail's range, 15% in its last month, 5% late backfills before the trail's start."""
import csv, random, sys, datetime as dt
src, out, n_batches, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(7)
pairs, values = [], {}
with open(src, newline='') as f:
    r = csv.reader(f); next(r)
    for i, row in enumerate(r):
        if i % 97: continue
        s, a, v, d = row
        pairs.append((s, a))
        values.setdefault(a, []).append(v)
start, end = dt.date(2020, 1, 1), dt.date(2024, 12, 31)
span = (end - start).days
for b in range(n_batches):
    with open(f"{out}/batch_{b:03d}.csv", "w", newline='') as f:
        w = csv.writer(f, lineterminator='\n')
        w.writerow(["security_id", "attribute", "value", "effective_date"])
        for _ in range(size):
            s, a = rng.choice(pairs)
            v = rng.choice(values[a])
            x = rng.random()
            if x < 0.80: d = start + dt.timedelta(days=rng.randrange(span + 1))
            elif x < 0.95: d = end - dt.timedelta(days=rng.randrange(31))
            else: d = start - dt.timedelta(days=rng.randrange(1, 365))
            w.writerow([s, a, v, d.isoformat()])
