// Dictionary segmenter: word DAG + maximum-probability path, as jieba does (internal).
//
// Input is one chunk: a sequence of units (a Han character or a whole Latin token), each a byte
// range of the normalized UTF-8 text. Every lexicon word that spans whole units is an edge of
// the DAG; the path maximizes the sum of ln(freq/total) (freq 1 for units the lexicon lacks).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "analyzers/lexicon_data.h"

namespace longtail::analysis::detail {

struct SegUnit {
  uint32_t byte_b, byte_e;  // bytes of the unit in the normalized text
};

struct Edge {
  uint32_t from, to;  // unit range [from, to)
  uint32_t freq;      // lexicon frequency
};

struct SegmentScratch {
  std::vector<double> route;
  std::vector<uint32_t> next;
  std::vector<uint32_t> word_lens;  // fine mode: bit L set when a word of L units starts here
};

// Appends the path as piece end indices (relative to `units`) to path_ends. When words is not
// null, also appends every lexicon word of two or more units found anywhere in the chunk.
// fine (plain mode): the path leaves out compositional compounds of the base dictionary, words
// of four or more units that are two lexicon words of two or more units each (生日礼物 =
// 生日+礼物, 笔记本电脑 = 笔记本+电脑); catalog words (brands, categories, attribute values,
// learned words) stay whole. `words` is unaffected.
void segment(const Lexicon::Data& lex, std::string_view norm, const SegUnit* units, size_t n,
             SegmentScratch& scratch, std::vector<uint32_t>& path_ends, std::vector<Edge>* words,
             bool fine = false);

}  // namespace longtail::analysis::detail
