#!/usr/bin/env python3
"""Markdown summary of one perf/run_suite.sh results directory (standard library only).

    python3 perf/suite_summary.py WORK/results > summary.md

Reads machine.json, build-*.time (/usr/bin/time -v), build-*.json / .out, size-*.json,
eval-*.json and bench-*-t<T>.json; engines missing from the run are left out. Ratios are
"engine / longtail" for latency and "longtail / engine" for throughput, so > 1 favours longtail.
"""
import glob
import json
import os
import re
import sys


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def time_v(path):
    """wall seconds, user+sys seconds, peak RSS MB from a `/usr/bin/time -v` log."""
    try:
        text = open(path).read()
    except OSError:
        return None
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text)
    parts = [float(p) for p in m.group(1).split(":")]
    wall = 0.0
    for p in parts:
        wall = wall * 60 + p
    user = float(re.search(r"User time \(seconds\): (\S+)", text).group(1))
    sys_ = float(re.search(r"System time \(seconds\): (\S+)", text).group(1))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
    return wall, user + sys_, rss


def fmt(v, digits=1):
    return "—" if v is None else f"{v:,.{digits}f}"


def main():
    res = sys.argv[1]
    machine = load(os.path.join(res, "machine.json")) or {}
    skus = machine.get("skus", 0)
    print(f"Catalog: {skus:,} SKUs (seed {machine.get('seed')}); machine: {machine.get('cpu')}, "
          f"{machine.get('cores')} cores, {machine.get('mem_gb')} GB; git {machine.get('git')}; "
          f"{machine.get('date')}; load average at start {machine.get('load_at_start')}.\n")

    print("## Index build\n")
    print("| engine | threads | wall s | SKUs/s | CPU s | peak RSS MB | bytes/SKU | bytes/SKU compacted |")
    print("|---|---|---|---|---|---|---|---|")
    builds = {}
    for path in sorted(glob.glob(os.path.join(res, "build-*.time"))):
        name = os.path.basename(path)[len("build-"):-len(".time")]
        engine, _, t = name.partition("-t")
        tv = time_v(path)
        if not tv:
            continue
        size = load(os.path.join(res, f"size-{name}.json")) or {}
        per = (size.get("shard_bytes") or size.get("db_bytes") or 0) / skus if skus else None
        cper = size["compact_shard_bytes"] / skus if skus and "compact_shard_bytes" in size else None
        rate = skus / tv[0] if tv[0] else None
        builds[(engine, t or "1")] = rate
        print(f"| {engine} | {t or '1'} | {fmt(tv[0])} | {fmt(rate, 0)} | {fmt(tv[1])} | {fmt(tv[2])} | "
              f"{fmt(per, 0)} | {fmt(cper, 0)} |")
    for (engine, t), rate in sorted(builds.items()):
        base = builds.get(("longtail", t))
        if engine != "longtail" and base and rate:
            print(f"\nlongtail / {engine} build speed on {t} thread(s): {base / rate:.2f}x")

    opt = load(os.path.join(res, "optimize-longtail.json"))
    if opt and skus:
        tv = time_v(os.path.join(res, "optimize-longtail.time"))
        print(f"\n`longtail optimize` of the longtail index queried below: {fmt(tv[0] if tv else opt['seconds'])} s wall"
              + (f", peak RSS {fmt(tv[2])} MB" if tv else "")
              + f"; shards {opt['bytes_before'] / skus:,.0f} -> {opt['bytes_after'] / skus:,.0f} bytes/SKU.")
    else:
        print("\nThe longtail index queried below is as built (not optimized).")
    print("\n## Effectiveness (same queries and qrels)\n")
    print("| engine | class | queries | MRR@10 | NDCG@10 | recall@100 | zero-result |")
    print("|---|---|---|---|---|---|---|")
    for engine in ("longtail", "longtail_bm25", "xapian", "fts5"):
        ev = load(os.path.join(res, f"eval-{engine}.json"))
        if not ev:
            continue
        for cls in ("head", "torso", "tail", "overall"):
            m = ev[cls]
            print(f"| {engine} | {cls} | {m['queries']} | {m['mrr@10']:.4f} | {m['ndcg@10']:.4f} | "
                  f"{m['recall@100']:.4f} | {100 * m['zero_result_rate']:.1f}% |")

    print("\n## Query latency (top 10 items, collapsed by item)\n")
    print("| engine | threads | class | QPS | p50 ms | p95 ms | p99 ms | results | zero-result calls |")
    print("|---|---|---|---|---|---|---|---|---|")
    bench = {}
    for path in sorted(glob.glob(os.path.join(res, "bench-*-t*.json"))):
        m = re.match(r"bench-(\w+)-t(\d+)\.json", os.path.basename(path))
        data = load(path)
        if not m or not data:
            continue
        engine, t = m.group(1), m.group(2)
        for cls in ("head", "torso", "tail", "overall"):
            s = data["bench"][cls]
            if not s["queries"]:
                continue
            bench[(engine, t, cls)] = s
            print(f"| {engine} | {t} | {cls} | {s['qps']:,.0f} | {s['p50_ms']:.3f} | {s['p95_ms']:.3f} | "
                  f"{s['p99_ms']:.3f} | {s['results']:,} | {s['zero_result_queries']:,} |")

    print("\n### Ratios (peer / longtail for latency, longtail / peer for QPS; > 1 favours longtail)\n")
    print("| peer | threads | class | QPS ratio | p50 ratio | p99 ratio |")
    print("|---|---|---|---|---|---|")
    for (engine, t, cls), s in sorted(bench.items()):
        base = bench.get(("longtail", t, cls))
        if engine == "longtail" or not base:
            continue
        def ratio(a, b):
            return f"{a / b:.2f}" if a and b else "—"
        print(f"| {engine} | {t} | {cls} | {ratio(base['qps'], s['qps'])} | {ratio(s['p50_ms'], base['p50_ms'])} | "
              f"{ratio(s['p99_ms'], base['p99_ms'])} |")


if __name__ == "__main__":
    main()
