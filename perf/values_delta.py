#!/usr/bin/env python3
"""A values-only delta for `longtail update`: N random SKUs of a catalog with a new price
(x0.8-1.2, two decimals) and 1-20 more sales; every other field as in the catalog.

    perf/values_delta.py CATALOG.jsonl N SEED > delta.jsonl

Used for the 1M-SKU update rates in perf/README.md ("Live updates") and
docs/perf-history.md ("Live updates, session 4", "Session 5")."""
import json
import random
import sys


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    catalog, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    random.seed(seed)
    with open(catalog, encoding="utf-8") as f:
        lines = f.read().splitlines()
    out = sys.stdout
    for i in random.sample(range(len(lines)), n):
        r = json.loads(lines[i])
        r["price"] = round(r["price"] * random.uniform(0.8, 1.2), 2)
        r["sales_30d"] = r.get("sales_30d", 0) + random.randint(1, 20)
        out.write(json.dumps(r, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
