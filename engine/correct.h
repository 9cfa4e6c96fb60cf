// Query correction: pinyin, Latin typos and Chinese homophones, toward the catalog's own words
// (docs/ranking.md, "Pinyin and typos"; SearchRequest::correct).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>

#include "engine/index_state.h"

namespace longtail::engine {

struct QueryCorrection {
  std::string query;                 // the corrected query (normalized text)
  std::vector<std::string> changes;  // "lianyiqun -> 连衣裙 (pinyin)", one per change
  // The query was typed in pinyin: no Han character, and at least half of the words of letters
  // the catalog lacks became catalog words by their readings. Such a query as typed matches (almost) nothing,
  // so a correction that matches more of it is better even when it still lacks a word.
  bool typed_in_pinyin = false;
};

// A corrected query, or nothing when no word needs correcting:
//  - a run of Latin words the catalog does not have, separated by spaces (lian yi qun) or not
//    (lianyiqun), that reads as a catalog word in full pinyin -> that word (the most frequent);
//  - else a Latin word of 4+ letters the catalog lacks -> the nearest catalog word within
//    index::allowed_typo_distance (ties: the most frequent);
//  - else a Latin word of 3-5 letters the catalog lacks -> a catalog word of three or more
//    syllables with those initials (lyq -> 连衣裙);
//  - a Han span of 2+ characters that is no catalog word but reads like one (连衣群 -> 连衣裙).
// Only words in the generation's spelling vocabulary (index/spelling.h) that the index still
// has are proposed. Never throws on a missing or damaged vocabulary: no correction then.
std::optional<QueryCorrection> correct_query(const IndexState& state, Xapian::Database& db, std::string_view query);

}  // namespace longtail::engine
