// Catalog vocabulary gathered in pass 1 of a build: brand names (each alias of "CHANDO/自然堂"),
// attribute values and category names, counted in bounded memory, then added to the base
// lexicon so the segmenter keeps them whole.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "analyzers/analyzer.h"
#include "index/schema.h"

namespace longtail::index {

class CatalogVocabulary {
 public:
  // Keeps at most this many distinct candidates per kind; when full, rare ones are pruned.
  static constexpr size_t kMaxCandidates = 200000;

  void observe(const SkuRecord& r);
  // A new lexicon: `base` plus the catalog's words (normalized with base's analyzer).
  std::shared_ptr<const analysis::Lexicon> extend(const analysis::Lexicon& base) const;

  // The alias groups of brands seen: {"chando", "自然堂"} for "CHANDO/自然堂".
  std::vector<std::vector<std::string>> brand_groups() const;

 private:
  void add(std::unordered_map<std::string, uint64_t>& m, const std::string& w);
  std::unordered_map<std::string, uint64_t> brands_, attrs_, categories_;
  std::unordered_map<std::string, uint64_t> brand_full_;  // the raw brand field, for alias groups
};

// Splits a brand field into aliases: "CHANDO/自然堂" -> {"CHANDO", "自然堂"}; trims spaces.
std::vector<std::string> brand_aliases(const std::string& brand);

}  // namespace longtail::index
