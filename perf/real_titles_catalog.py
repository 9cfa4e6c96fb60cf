#!/usr/bin/env python3
"""Builds a longtail catalog (JSON Lines) from the real titles under ../shared/data/titles,
for reading integrity flags by hand (docs/integrity.md, "Real titles, read by hand"). The output
goes where you say, never into the repository (the data may not be redistributed).

  python3 perf/real_titles_catalog.py [--data ../shared/data] OUT.jsonl

- Taobao 2021: store name as shop_id, brand = the store name without 旗舰店/官方旗舰店 when it is a
  flagship store, top-level category, price, monthly sales as sales_30d.
- Tmall cosmetics 2016: category 美妆/护肤彩妆, shop as shop_id and brand, price, sales and
  comment counts (as reviews), no listing date.
- JD titles: title only.
Exits 2 with a message when the data is absent."""
import argparse, json, os, re, sys

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data"))
    ap.add_argument("--derive-brands", action="store_true",
                    help="give a listing without a brand field the longest name that begins its title among "
                         "the brand fields of the real catalogs (mcpr_dev, Tmall shops, flagship stores): a stress test of the "
                         "brand detector with brand fields as sellers fill them")
    ap.add_argument("--catalog", help="instead of the titles: copy this catalog (JSON Lines), deriving brands "
                    "with --derive-brands (e.g. relevance/mcpr_dev/catalog.jsonl)")
    ap.add_argument("out")
    a = ap.parse_args()
    d = os.path.join(a.data, "titles")
    if not os.path.isdir(d):
        print(f"real_titles_catalog: {d} is absent; nothing to do", file=sys.stderr)
        return 2
    brands = set()
    if a.derive_brands:
        # Names sellers wrote in brand fields of the real catalogs (mcpr_dev, Tmall shops,
        # flagship stores), split at "/" and brackets: Apple/苹果 gives Apple and 苹果.
        def add_brand(field):
            for part in re.split(r"[/（）()]", field or ""):
                part = part.strip()
                if len(part) >= 2 and part not in ("其他", "其它", "无品牌", "other", "OTHER"):
                    brands.add(part)
        with open(os.path.join(a.data, "relevance", "mcpr_dev", "catalog.jsonl"), encoding="utf-8-sig") as f:
            for line in f:
                if line.strip():
                    add_brand(json.loads(line).get("brand"))
        with open(os.path.join(d, "tmall_double11_cosmetics_2016.tsv"), encoding="utf-8") as f:
            next(f)
            for line in f:
                c = line.rstrip("\n").split("\t")
                if len(c) > 2:
                    add_brand(c[2])
        with open(os.path.join(d, "taobao_items_2021.tsv"), encoding="utf-8") as f:
            next(f)
            for line in f:
                c = line.rstrip("\n").split("\t")
                if len(c) > 2 and c[2].endswith("旗舰店"):
                    add_brand(re.sub("(官方)?旗舰店$", "", c[2]))
    longest = max((len(b) for b in brands), default=0)

    def derived_brand(title):
        t = re.sub(r"^(\s|【[^】]*】|\[[^\]]*\])+", "", title)
        for k in range(min(longest, len(t)), 1, -1):
            if t[:k] in brands:
                return t[:k]
        return None

    n = 0
    with open(a.out, "w", encoding="utf-8") as out:
        def emit(rec):
            nonlocal n
            if brands and "brand" not in rec:
                b = derived_brand(rec["title"])
                if b:
                    rec["brand"] = b
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
        if a.catalog:
            with open(a.catalog, encoding="utf-8-sig") as f:
                for line in f:
                    if line.strip():
                        emit(json.loads(line))
            print(f"real_titles_catalog: {n} listings -> {a.out}", file=sys.stderr)
            return 0
        with open(os.path.join(d, "taobao_items_2021.tsv"), encoding="utf-8") as f:
            next(f)
            for line in f:
                c = line.rstrip("\n").split("\t")
                if len(c) < 6 or not c[1].strip():
                    continue
                rec = {"sku_id": "tb" + c[0], "title": c[1], "shop_id": c[2], "category": c[3]}
                for suffix in ("官方旗舰店", "旗舰店"):
                    if c[2].endswith(suffix) and len(c[2]) > len(suffix):
                        rec["brand"] = c[2][: -len(suffix)]
                        break
                try:
                    rec["price"] = float(c[4])
                except ValueError:
                    pass
                try:
                    rec["sales_30d"] = int(float(c[5]))
                except ValueError:
                    pass
                emit(rec)
        with open(os.path.join(d, "tmall_double11_cosmetics_2016.tsv"), encoding="utf-8") as f:
            next(f)
            for i, line in enumerate(f):
                c = line.rstrip("\n").split("\t")
                if len(c) < 6 or not c[1].strip():
                    continue
                rec = {"sku_id": f"tm{i}_{c[0]}", "title": c[1], "shop_id": c[2], "brand": c[2],
                       "category": "美妆/护肤彩妆"}
                for key, col, conv in (("price", 3, float), ("sales_30d", 4, int), ("reviews", 5, int)):
                    try:
                        rec[key] = conv(float(c[col])) if conv is int else conv(c[col])
                    except ValueError:
                        pass
                emit(rec)
        with open(os.path.join(d, "jd_titles.txt"), encoding="utf-8") as f:
            for i, line in enumerate(f):
                t = line.strip()
                if t:
                    emit({"sku_id": f"jd{i}", "title": t})
    print(f"real_titles_catalog: {n} listings -> {a.out}", file=sys.stderr)
    return 0

if __name__ == "__main__":
    sys.exit(main())
