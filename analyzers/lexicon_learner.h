// Catalog vocabulary for the lexicon: brand names (with their aliases), attribute values,
// category names, and words discovered from titles.
//
// Discovery (unsupervised, over the Han runs of normalized titles): count character n-grams of
// length 1..max_word_chars+1 in a bounded open-addressing table (rare n-grams are pruned when it
// fills), then keep n-grams of 2..max_word_chars characters that are
//   frequent      count >= min_count,
//   cohesive      pointwise mutual information ln(p(w) / (p(a) p(b))) >= min_pmi for the
//                 weakest split w = a|b,
//   free          left and right boundary entropy >= min_entropy (nats; a run boundary counts
//                 as a distinct neighbour every time),
//   not glue      on each side, fewer than max_crossed of its occurrences have a base word of
//                 two or more characters crossing that edge (衣外套 is mostly 风衣|外套, 大衣|外套:
//                 its 衣 belongs to the word on the left),
// and that the base lexicon does not know and cannot cover with words of two or more
// characters (so new words fill gaps instead of gluing known words together).
//
// Adaptation: each counted title is also segmented with the base lexicon; base words used at
// least min_count times get frequency f + adapt_weight * total * (uses / pieces), the base
// distribution mixed with the catalog's, so product words common in titles (盒子, 饼干) win
// over the general-text compounds that absorb them (首饰盒|子, 曲奇饼|干).
//
// Not thread-safe: feed from one thread. Memory: 32 bytes x 2^table_bits (64 MB by default),
// fixed at construction, plus at most max_catalog_words catalog words (rare attribute values and
// category names are pruned first; brands are kept).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "analyzers/analyzer.h"

namespace longtail::analysis {

class LexiconLearner {
 public:
  struct Options {
    size_t max_titles = 200000;    // titles used for discovery; later titles are ignored
    size_t max_word_chars = 5;     // longest discovered word, in characters (2..5)
    uint32_t min_count = 5;        // a discovered word occurs at least this often
    double min_pmi = 4.0;          // nats
    double min_entropy = 1.5;      // nats, both sides
    double max_crossed = 0.5;      // share of occurrences a base word crosses an edge (1: off)
    double adapt_weight = 1.0;     // weight of the titles' word distribution in base-word
                                   // frequencies (0: base frequencies kept)
    size_t max_new_words = 50000;  // keep the most frequent discoveries
    // Join entries (tag "join"): n-grams of 2..max_join_chars characters the base lexicon
    // lacks, with count >= join_min_count, PMI >= join_min_pmi, boundary entropy >=
    // join_min_entropy on both sides, and fewer than join_max_crossed of their occurrences
    // crossed by a base word at either edge (as max_crossed). They are not words (no DAG edge,
    // no index term); plain mode joins a run of single characters that its path leaves between
    // longer pieces when the whole run is one of them (兔/窝 -> 兔窝). Chosen on train+dev of
    // the multidigraph spans (analyzers/README.md). max_join_words 0 turns them off.
    uint32_t join_min_count = 2;
    double join_min_pmi = 1.0;
    double join_min_entropy = 0.5;
    double join_max_crossed = 0.3;
    size_t max_join_chars = 3;
    size_t max_join_words = 200000;
    unsigned table_bits = 21;      // n-gram table of 2^table_bits slots (32 bytes each)
    size_t max_catalog_words = 1000000;  // distinct brand/attribute/category words kept
    size_t max_catalog_word_chars = 8;   // longer attribute values / category names are skipped
    size_t max_brand_chars = 16;         // longer brand aliases are skipped
  };

  struct Discovered {
    std::string word;  // normalized
    uint32_t count = 0;
    double pmi = 0, left_entropy = 0, right_entropy = 0;
  };

  // `base` supplies normalization and the words already known. It must outlive the learner.
  explicit LexiconLearner(const Analyzer& base);
  LexiconLearner(const Analyzer& base, Options options);
  ~LexiconLearner();
  LexiconLearner(LexiconLearner&&) noexcept;
  LexiconLearner& operator=(LexiconLearner&&) noexcept;

  // A brand field; "CHANDO/自然堂", "自然堂(CHANDO)" and "自然堂（CHANDO）" give one alias group.
  void add_brand(std::string_view brand);
  void add_attribute_value(std::string_view value);
  void add_category(std::string_view name);  // "手机壳" or a path "手机/手机配件/手机壳"
  void add_title(std::string_view title);

  // Words to pass to Lexicon::extend: catalog words and discoveries the base lexicon lacks,
  // each with a frequency high enough that the segmenter keeps it whole, tagged "brand",
  // "attr", "cat" or "learned". Computes the discovery on each call (seconds for 200k titles).
  std::vector<Lexicon::Entry> entries() const;
  // Title discoveries only, most frequent first (for inspection and tests).
  std::vector<Discovered> discover() const;
  // Join entries (Options::join_*), most frequent first; entries() adds those not already
  // catalog words or discoveries, tagged "join" with frequency 0.
  std::vector<Discovered> joins() const;
  // Alias groups of the brands seen, normalized: {"chando", "自然堂"}; one group per distinct
  // set of aliases (in the order first seen).
  std::vector<std::vector<std::string>> brand_groups() const;

  size_t titles_seen() const;      // all add_title calls
  size_t titles_used() const;      // the ones counted (<= max_titles)
  uint32_t prune_threshold() const;  // n-grams with counts up to this were dropped (0: exact)

  // Splits a brand field into its aliases (trimmed, not normalized).
  static std::vector<std::string> split_brand(std::string_view brand);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace longtail::analysis
