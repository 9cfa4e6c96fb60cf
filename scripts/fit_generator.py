#!/usr/bin/python3
"""Fit the synthetic catalog generator's numeric parameters to the real titles.

Reads ../shared/data/titles/* (never copied anywhere) and prints the fitted values that
perf/generator.cpp embeds (title length quantiles, Latin/digit shares, per-category log-normal
prices, zero-sale share and the power-law exponent of positive sales, reviews per sale).

    /usr/bin/python3 scripts/fit_generator.py [DATA_DIR]
    /usr/bin/python3 scripts/fit_generator.py --check CATALOG.jsonl   # same statistics, generated

DATA_DIR defaults to ../shared/data relative to the repository root. Standard library only.
"""
import math
import os
import statistics
import sys


def read_tsv(path):
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) == len(header):
                yield dict(zip(header, cols))


def num(s):
    try:
        v = float(s)
        return v if math.isfinite(v) else None
    except ValueError:
        return None


def char_class(c):
    if c.isascii() and c.isalpha():
        return "latin"
    if c.isdigit():
        return "digit"
    if c.isspace():
        return "space"
    if "\u4e00" <= c <= "\u9fff":
        return "han"
    return "other"


def quantiles(values, n=20):
    s = sorted(values)
    return [s[min(len(s) - 1, round(i * (len(s) - 1) / n))] for i in range(n + 1)]


def powerlaw_alpha(xs, xmin=1):
    # Discrete power law, continuous approximation (Clauset, Shalizi, Newman 2009, eq. 3.7).
    xs = [x for x in xs if x >= xmin]
    return 1 + len(xs) / sum(math.log(x / (xmin - 0.5)) for x in xs), len(xs)


def check(path, limit=200000):
    """Title, price and sales statistics of a generated catalog, one line per item."""
    import json
    titles, prices, sales, seen = [], {}, [], set()
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f):
            if n >= limit:
                break
            r = json.loads(line)
            if r["item_id"] in seen:
                continue
            seen.add(r["item_id"])
            titles.append(("gen", r["title"]))
            prices.setdefault(r["category"].split("/")[0], []).append(math.log(max(r["price"], 0.01)))
            sales.append(r["sales_30d"])
    lens = [len(t) for _, t in titles]
    print(f"items={len(titles)} title_len mean={statistics.mean(lens):.1f} quantiles={quantiles(lens)}")
    counts = {}
    for _, t in titles:
        for c in t:
            counts[char_class(c)] = counts.get(char_class(c), 0) + 1
    total = sum(counts.values())
    print("char_share", {k: round(v / total, 4) for k, v in sorted(counts.items())})
    print(f"titles_with_space = {sum(' ' in t for _, t in titles) / len(titles):.3f}")
    print(f"titles_with_latin = {sum(any(c.isascii() and c.isalpha() for c in t) for _, t in titles) / len(titles):.3f}")
    print(f"titles_with_digit = {sum(any(c.isdigit() for c in t) for _, t in titles) / len(titles):.3f}")
    allp = [x for v in prices.values() for x in v]
    print(f"price ln mu={statistics.mean(allp):.3f} sigma={statistics.pstdev(allp):.3f}")
    print(f"zero_sale_share (first SKU of each item) = {sum(s == 0 for s in sales) / len(sales):.3f}")


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--check":
        return check(sys.argv[2])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "data")
    tdir = os.path.join(data, "titles")
    if not os.path.isdir(tdir):
        sys.exit(f"fit_generator: {tdir} not found (real data lives outside the repository)")

    titles = []
    with open(os.path.join(tdir, "jd_titles.txt"), encoding="utf-8") as f:
        titles += [("jd", l.strip()) for l in f if l.strip()]
    taobao = list(read_tsv(os.path.join(tdir, "taobao_items_2021.tsv")))
    tmall = list(read_tsv(os.path.join(tdir, "tmall_double11_cosmetics_2016.tsv")))
    titles += [("taobao", r["title"]) for r in taobao]
    titles += [("tmall", r["title"]) for r in tmall]

    print("# title length in characters (code points), 21 quantiles 0..100%")
    for src in ("jd", "taobao", "tmall", None):
        lens = [len(t) for s, t in titles if src is None or s == src]
        print(f"title_len_quantiles[{src or 'all'}] n={len(lens)} mean={statistics.mean(lens):.1f}:",
              quantiles(lens))

    counts = {}
    with_space = with_latin = with_digit = 0
    segs = []
    for _, t in titles:
        cls = [char_class(c) for c in t]
        for c in cls:
            counts[c] = counts.get(c, 0) + 1
        with_space += "space" in cls
        with_latin += "latin" in cls
        with_digit += "digit" in cls
        segs.append(len(t.split()))
    total = sum(counts.values())
    print("\n# character classes (share of all characters)")
    for k in sorted(counts):
        print(f"char_share[{k}] = {counts[k] / total:.4f}")
    n = len(titles)
    print(f"titles_with_space = {with_space / n:.3f}")
    print(f"titles_with_latin = {with_latin / n:.3f}")
    print(f"titles_with_digit = {with_digit / n:.3f}")
    print(f"space_segments_mean = {statistics.mean(segs):.2f}")

    print("\n# price: log-normal per top category (taobao_items_2021), ln(CNY)")
    bycat = {}
    for r in taobao:
        p = num(r["price"])
        if p and p > 0 and r["category"]:
            bycat.setdefault(r["category"], []).append(math.log(p))
    allp = []
    for cat, v in sorted(bycat.items(), key=lambda kv: -len(kv[1])):
        allp += v
        if len(v) >= 30:
            print(f"price_lognormal[{cat}] n={len(v)} mu={statistics.mean(v):.3f} "
                  f"sigma={statistics.pstdev(v):.3f} median={math.exp(statistics.median(v)):.1f}")
    print(f"price_lognormal[all] mu={statistics.mean(allp):.3f} sigma={statistics.pstdev(allp):.3f}")
    cos = [math.log(p) for p in (num(r["price"]) for r in tmall) if p and p > 0]
    print(f"price_lognormal[tmall cosmetics] mu={statistics.mean(cos):.3f} sigma={statistics.pstdev(cos):.3f}")

    print("\n# sales (taobao monthly_sale_volume; missing values count as zero sales)")
    sales = [num(r["monthly_sale_volume"]) for r in taobao]
    sales = [int(s) if s is not None else 0 for s in sales]
    zero = sum(1 for s in sales if s == 0)
    print(f"zero_sale_share = {zero / len(sales):.3f}  (n={len(sales)}; this sample is of listed,"
          " searchable items and undercounts the zero-sale mass of a whole marketplace)")
    a, m = powerlaw_alpha([s for s in sales if s > 0])
    print(f"sales_powerlaw_alpha = {a:.3f} (n={m}, xmin=1)")
    tsales = [int(num(r["sale_count"])) for r in tmall if num(r["sale_count"])]
    a2, m2 = powerlaw_alpha([s for s in tsales if s > 0], xmin=10)
    print(f"sales_powerlaw_alpha[tmall cosmetics, xmin=10] = {a2:.3f} (n={m2})")
    ratios = [num(r["comment_count"]) / num(r["sale_count"]) for r in tmall
              if num(r["sale_count"]) and num(r["comment_count"]) is not None and num(r["sale_count"]) >= 10]
    print(f"reviews_per_sale median = {statistics.median(ratios):.3f} "
          f"quartiles = {[round(q, 3) for q in statistics.quantiles(ratios, n=4)]}")


if __name__ == "__main__":
    main()
