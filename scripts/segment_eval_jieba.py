#!/usr/bin/python3
"""Segments the texts of a multidigraph NER directory with jieba, for longtail_segment_eval.

Usage: /usr/bin/python3 scripts/segment_eval_jieba.py NER_DIR [--no-hmm] > jieba.tok
Uses Debian's python3-jieba (run it with /usr/bin/python3, not another interpreter). Writes one
line per text of train.tsv, dev.tsv, test.tsv (in that order), tokens separated by tabs,
whitespace-only tokens dropped.
"""
import sys

import jieba


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    hmm = "--no-hmm" not in sys.argv[2:]
    jieba.setLogLevel(60)
    out = sys.stdout
    for part in ("train", "dev", "test"):
        with open(f"{sys.argv[1]}/{part}.tsv", encoding="utf-8") as f:
            for line in f:
                text = line.rstrip("\n").split("\t", 1)[0]
                toks = [t for t in jieba.cut(text, HMM=hmm) if t.strip()]
                out.write("\t".join(toks) + "\n")


if __name__ == "__main__":
    main()
