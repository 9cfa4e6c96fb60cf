#!/usr/bin/python3
"""The plain baseline of perf/real_eval.sh: jieba cut_for_search terms + BM25, OR of the terms.

Indexes the titles of a longtail catalog (JSON Lines) with jieba's cut_for_search, ranks every
query by BM25 over the OR of its cut_for_search terms (Xapian's BM25Weight defaults: k1 = 1,
b = 0.5, min_normlen = 0.5; ties by sku_id) and writes a TREC run (qid Q0 sku_id rank score
jieba_bm25) for `longtail eval --score-run`. For measurement only (python3-jieba).

usage: jieba_bm25.py CATALOG.jsonl QUERIES.tsv RUN_OUT [DEPTH]
"""
import json
import logging
import math
import sys
from collections import Counter, defaultdict

import jieba

jieba.setLogLevel(logging.WARNING)


def terms(text):
    return [t.strip().lower() for t in jieba.cut_for_search(text) if t.strip()]


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    catalog, queries, out = sys.argv[1:4]
    depth = int(sys.argv[4]) if len(sys.argv) > 4 else 100
    docs, lengths, postings = [], [], defaultdict(list)
    with open(catalog, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            tf = Counter(terms(r["title"]))
            d = len(docs)
            docs.append(r.get("item_id", r["sku_id"]))
            lengths.append(sum(tf.values()))
            for t, n in tf.items():
                postings[t].append((d, n))
    n_docs = len(docs)
    avg = sum(lengths) / max(1, n_docs)
    k1, b, min_normlen = 1.0, 0.5, 0.5
    with open(queries, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as o:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 2:
                continue
            qid, query = cols[0], cols[1]
            score = defaultdict(float)
            for t in set(terms(query)):
                pl = postings.get(t)
                if not pl:
                    continue
                idf = math.log((n_docs - len(pl) + 0.5) / (len(pl) + 0.5))
                idf = max(idf, 1e-6)
                for d, tf in pl:
                    norm = max(lengths[d] / avg, min_normlen)
                    score[d] += idf * (k1 + 1) * tf / (k1 * ((1 - b) + b * norm) + tf)
            ranked = sorted(score.items(), key=lambda kv: (-kv[1], docs[kv[0]]))
            seen, rank = set(), 0
            for d, s in ranked:
                if docs[d] in seen:
                    continue
                seen.add(docs[d])
                rank += 1
                o.write(f"{qid} Q0 {docs[d]} {rank} {s:.6f} jieba_bm25\n")
                if rank >= depth:
                    break


if __name__ == "__main__":
    main()
