// Hand-written marketplace vocabulary for the synthetic catalog generator: a category tree with
// per-category product words, brands, modifiers, materials and variant attributes, plus shared
// colour, marketing and shop-name word lists. Every list is written for this project (no real
// titles are copied); numeric shapes come from scripts/fit_generator.py.
//
// All strings are views into static storage: the tables live for the whole program and are
// immutable after the first call to vocabulary(), which is thread-safe.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace longtail::perf {

struct Brand {
  std::string_view name;   // the catalog's brand field: the Chinese name when there is one
  std::string_view latin;  // Latin name, empty for Chinese-only brands
};

struct Leaf {
  std::string_view name;                 // leaf category name, also the generic product word
  std::vector<std::string_view> words;   // words[0] == name (generic), then specific product words
};

struct TopCategory {
  std::string_view name;
  int price_group = 0;                        // index into the fitted price table
  double code_prob = 0;                       // probability that a title carries a model code
  std::vector<Leaf> leaves;
  std::vector<Brand> brands;
  std::vector<std::string_view> modifiers;    // style / use words; at most 64 (bit masks)
  std::string_view material_key;              // item-level attribute key, e.g. "材质"
  std::vector<std::string_view> materials;    // at most 64
  std::string_view axis1_key;                 // first variant axis, e.g. "颜色" or "口味"
  std::vector<std::string_view> axis1;        // at most 64
  std::string_view axis2_key;                 // second variant axis, e.g. "尺码" or "容量"
  std::vector<std::string_view> axis2;        // at most 64; may be empty
  std::string_view shop_word;                 // used in shop names, e.g. "服饰"
};

// Fitted log-normal price parameters (ln CNY) of one price group.
struct PriceGroup {
  std::string_view source;  // the real-data category the values were fitted on
  double mu = 0, sigma = 0;
};

struct Vocabulary {
  std::vector<TopCategory> tops;
  std::vector<PriceGroup> price_groups;
  std::vector<std::string_view> marketing;   // honest promotional words (新款, 包邮, ...)
  std::vector<std::string_view> hot_words;   // trending words used for hot-word stuffing
  std::vector<std::string_view> shop_prefix; // shop name parts
  std::vector<std::string_view> shop_suffix;
  std::vector<std::string_view> ad_phrases;  // contact lead-ins for advertisement listings
  size_t leaf_count = 0;
};

// The process-wide vocabulary (parsed once).
const Vocabulary& vocabulary();

}  // namespace longtail::perf
