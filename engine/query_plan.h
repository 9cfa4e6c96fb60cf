// Query analysis for ranking: which of the user's words are meaningful, what role each plays
// (product word, brand, model, modifier, ...), how informative it is, and the sub-word parts a
// listing can match a term by. docs/ranking.md, "Query analysis".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "analyzers/analyzer.h"
#include "index/synonyms.h"

namespace longtail::engine {

enum class TermRole : uint8_t {
  Product,   // the product word: a catalog category word, or the query's last noun
  Brand,     // a catalog brand (lexicon tag "brand")
  Model,     // a mixed letters+digits token (iphone15, tr90)
  Word,      // another noun or an unknown word/run (often a niche, specific word)
  Spec,      // numbers and number+unit (500ml, 42)
  Modifier,  // attribute values, adjectives, colours, generic words
  Soft,      // a lone single Han character: matched only for scoring, never counted or required
};
const char* term_role_name(TermRole r);

struct PlannedTerm {
  std::string text;              // normalized index term
  TermRole role = TermRole::Word;
  float informativeness = 1;     // Analyzer::informativeness, in (0, 1]
  double keep = 0;               // how much the term matters: beyond max_terms the lowest go first
  std::vector<std::string> parts;  // sub-words / bigrams / characters, most informative first
  // A letters+digits or number+unit token (iphone12, 500ml): its parts together are the term
  // however it is written (iPhone 12), so each part is worth 1/m of it, not 1/(m+1).
  bool alnum = false;
  // What else finds this term whole, by the index's synonym rules (engine/search.cpp fills it):
  // each alternative is one term or several together.
  std::vector<index::SynonymAlternative> alternatives;
};

struct QueryPlan {
  std::vector<PlannedTerm> terms;        // meaningful terms, in query order (deduplicated)
  std::vector<std::string> stop_words;   // terms removed as stop words
  std::vector<std::string> overflow;     // terms beyond max_terms, removed (least informative)
  // Indexes into `terms` of the counted (non-soft) terms, by increasing `keep` (the product word
  // last). Matching weighs them all (engine/search.cpp); the order only decides which terms
  // beyond max_terms are removed.
  std::vector<size_t> drop_order;
  size_t counted() const { return drop_order.size(); }
};

// Analyzes `query` (Mode::Query), removes stop words and punctuation, keeps at most `max_terms`
// counted terms and computes roles, priorities and fallback parts (at most `max_parts` a term).
QueryPlan plan_query(const analysis::Analyzer& analyzer, const std::string& query, uint32_t max_terms,
                     uint32_t max_parts);

}  // namespace longtail::engine
