#!/usr/bin/python3
"""Pinyin forms of a query file, for measuring query correction (docs/ranking.md, "Pinyin and typos").

Each query's words (jieba) are replaced by their reading in longtail's word reading table
(build/analyzers/pinyin.tsv, from Google Pinyin's dictionary; a word it lacks is read character
by character, the cheapest reading of each); syllables of a word are joined, words are separated by
a space: 儿童连衣裙 -> "ertong lianyiqun". Latin and digits stay as they are.

usage: /usr/bin/python3 perf/pinyin_queries.py PINYIN.tsv QUERIES.tsv > PINYIN_QUERIES.tsv
(QUERIES.tsv: ID<TAB>QUERY[<TAB>CLASS], as longtail gen writes; the output keeps ID and CLASS.)
"""
import sys

import jieba


def load(path):
    best = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            word, syl, cost = line.rstrip("\n").split("\t")
            if word not in best or int(cost) < best[word][1]:
                best[word] = ("".join(syl.split()), int(cost))
    return {w: r for w, (r, _) in best.items()}


def read(word, table):
    if word in table:
        return table[word]
    out = []
    for ch in word:
        out.append(table.get(ch, ch))
    return "".join(out)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    table = load(sys.argv[1])
    jieba.setLogLevel(60)
    with open(sys.argv[2], encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 2:
                continue
            words = [w for w in jieba.cut(cols[1]) if w.strip()]
            cols[1] = " ".join(read(w, table) for w in words)
            print("\t".join(cols))


if __name__ == "__main__":
    main()
