// Listing integrity: detectors of marketplace abuse, run at build (and update) time. Every
// detector yields a score, a human-readable reason and a bounded penalty; the values go into
// value slots 20-27 (format/layout.h) and the stored data, and ranking (engine/) applies them.
// docs/integrity.md gives every formula, threshold and measurement.
//
// Life cycle in a build (index/builder.cpp):
//   pass 1: observe(record) for every accepted SKU, in catalog order, from one thread;
//   finish(): freezes the statistics and clusters near-duplicate items (bounded memory);
//   pass 2: annotate(index_analyzer, record, doc) from any number of threads;
//   save(generation_dir) writes the statistics next to signals.json so that an update can
//   score changed records the same way (load()).
//
// Memory (documented bounds, independent of the number of SKUs):
//   * term statistics: at most kMaxTerms terms and kMaxPairs (term, category) pairs; when full,
//     the rarest are pruned (rare terms carry no category evidence anyway);
//   * per category: a title-length and a shipping-fee histogram (about 2 KB per leaf);
//   * per shop: a few counters; brand lexicon: at most kMaxAliases aliases;
//   * items: nothing per item in RAM; prints and word lists are spilled to files in the work
//     directory (NearDupClusterer, index/dedup.h), plus small maps of the flagged items only
//     (sham-sales candidates, duplicate cluster members).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <xapian.h>

#include "analyzers/analyzer.h"
#include "index/dedup.h"
#include "format/record.h"
#include "format/values.h"

namespace longtail::index {

// Detector thresholds and penalties. Defaults are the documented values (docs/integrity.md);
// the ranking profile's [integrity] section may override them by key (set()).
struct IntegrityThresholds {
  // Duplicate listings (index/dedup.h).
  double dup_max_hamming = 3;          // SimHash bits; 0..3
  double dup_same_shop_hamming = 4;    // SimHash bits between two items of one shop and leaf (they
                                       // are compared in a pass of their own); 0..64
  double dup_min_jaccard = 0.72;       // word-set Jaccard (sketch estimate); (0, 1]
  double dup_price_ratio = 1.3;        // effective prices of duplicates within this factor; >= 1
  double shop_dup_groups = 3;          // a shop with at least this many same-shop groups ...
  double shop_dup_share = 0.01;        // ... making up at least this share of its items ...
  double shop_dup_penalty = 0.5;       // ... gets this shop-level factor (slot 24); (0, 1]
  // Brand stuffing.
  double brand_min_items = 3;          // an alias counts as a brand once this many items carry it
  double brand_others_branded = 1;     // other brands named by a listing with a brand field
  double brand_others_unbranded = 2;   // other brands named by a listing without one
  double brand_common_share = 0.02;    // an alias in more than this share of a top category's
                                       // titles of other brands is a descriptive word there
                                       // ("适用华为" phone cases), not a brand claim
  double brand_leaf_common_share = 0.1;  // ... or named by more than this share of its leaf's
                                       // titles of other brands (芭比 in 芭比娃娃 among dolls)
  double brand_penalty = 0.3;          // factor at full severity; (0, 1]
  // Hot-word and repetition stuffing, category misrepresentation (term-category affinity).
  double term_min_items = 30;          // a term's affinity counts once it is in this many items
  double offcat_max_affinity = 0.02;   // P(listed top category | term) below this: unrelated ...
  double offcat_min_home = 0.45;        // ... when P(some other top category | term) is at least this
  double hotword_min_score = 2;        // score = unrelated words + 0.5 * repeated words
  double hotword_penalty = 0.3;
  double miscat_min_elsewhere = 0.6;   // share of the title's evidence for another top category
  double miscat_max_listed = 0.15;     // ... while the listed one gets at most this share
  double miscat_min_focus = 0.3;       // a word is evidence only if one top category holds at
                                       // least this share of its (size-normalized) spread
  double miscat_penalty = 0.2;
  // A top category with fewer items than this gives no verdicts of its own (unrelated hot words,
  // category misrepresentation): its statistics are too thin to call a word foreign to it, so
  // the listing is judged only by what does not need them.
  double category_min_items = 1000;
  // Abnormal title length.
  double length_quantile = 0.995;      // of the leaf category's title lengths (characters)
  double length_factor = 1.2;          // flagged above quantile * factor ...
  double length_min_chars = 60;        // ... and above this many characters
  double length_penalty = 1.0;         // explained, not demoted (docs/integrity.md, "title_length")
  // Price/shipping games.
  double fee_min = 30;                 // CNY: a shipping fee below this is never a game
  double fee_leaf_factor = 2;          // fee above this times the leaf's 90th-percentile fee ...
  double fee_max_price_share = 0.1;    // ... while the price is at most this share of price + fee
  double fee_penalty = 0.3;
  // A leaf with fewer items than this borrows its top category's fee percentile (or the global
  // one when the top category is small as well).
  double fee_min_leaf_items = 200;
  // Advertisement (contact details in the title).
  double ad_penalty = 0.2;
  // Sham sales.
  double sham_min_sales = 300;         // item sales_30d (all variants) to consider
  double sham_max_review_rate = 0.005; // (reviews + 1) / sales at most this
  double sham_ref_review_rate = 0.02;  // trust = rate / this, clamped to [sham_min_trust, 1]
  double sham_min_trust = 0.05;
  double sham_shop_factor = 20;        // sales this many times the shop's mean in the category
                                       // halve the trust again ("out of line with its history")
  double sham_min_age_days = 7;        // an item needs a known listing date at least this many days
                                       // before the catalog's newest one: reviews need time to come
  // All detectors.
  double min_penalty = 0.05;           // floor of the product of penalties

  // Sets a threshold by its name above; throws UsageError for an unknown key or a value out of
  // range. keys() lists the names.
  void set(std::string_view key, double value);
  static std::vector<std::string_view> keys();
  std::string to_json() const;
};

struct IntegrityReason {
  std::string name;         // detector: "duplicate_listing", "brand_stuffing", "hotword_stuffing",
                            // "category_misrepresentation", "title_length", "shipping_fee_game",
                            // "advertisement", "sham_sales"
  double score = 0;         // detector-specific strength (docs/integrity.md)
  double penalty = 1;       // factor in (0, 1] this reason contributes to slot 20
  std::string explanation;  // for people: what was found
};

// Everything the detectors say about one SKU.
struct IntegrityVerdict {
  std::vector<IntegrityReason> reasons;
  double penalty = 1;          // slot 20: product of reason penalties, >= min_penalty
  double sales_trust = 1;      // slot 23
  double shop_penalty = 1;     // slot 24
  int64_t shop_violations = 0; // slot 25
  bool shop_blocked = false;   // slot 26
  std::string dup_cluster;     // slot 21 ("" = none)
  char dup_kind = 0;           // slot 22: 'S', 'X' or 0
  // Byte ranges [start, end) of the ORIGINAL title: `stuffed` = the words the reasons name
  // (competitor brands, unrelated hot words; they stay text terms: a verdict demotes, it never
  // hides a listing from its own words); `repeated` = occurrences of a word beyond its first,
  // which add nothing to the word's wdf.
  std::vector<std::pair<uint32_t, uint32_t>> stuffed, repeated;

  bool flagged() const { return !reasons.empty(); }
  // {"penalty":x,"reasons":[{"name":..,"score":..,"explanation":..}]}
  std::string to_json() const;
  // The reason names joined by ',' (slot 27).
  std::string reason_names() const;
};

// Reads the "integrity" object of a document's stored data into `out` (reasons, penalty,
// sales_trust, shop_penalty, dup_cluster, dup_kind). False when the data has none (clean) or
// cannot be parsed.
bool decode_integrity(std::string_view data, IntegrityVerdict& out);

// The duplicate part of a stored document's verdict: slots 21-22 and the stored
// duplicate_listing reason (a cross-shop member "X" has no stored integrity object).
IntegrityVerdict decode_duplicate(const Xapian::Document& doc);
// The same from slot 22's kind and slot 21's cluster id (empty kind: none) and the document's
// stored verdict already decoded (decode_integrity of its data); the updater reads the two
// values from the stage-1 key.
IntegrityVerdict decode_duplicate(std::string_view kind, std::string_view cluster, const IntegrityVerdict& stored);

// The XH term of an item hash (term_hash(item_id)): every annotated document carries it, so an
// update can find the documents of an item it only knows by its print.
std::string item_hash_term(uint64_t item_hash);

class IntegrityModel {
 public:
  static constexpr size_t kMaxTerms = 1 << 20;
  static constexpr size_t kMaxPairs = 1 << 22;
  static constexpr size_t kMaxAliases = 1 << 19;

  // `analyzer` segments titles for statistics and detection; it must outlive the model and be
  // the same in build and update (the builder passes the BASE lexicon's analyzer, which does
  // not depend on the catalog). `work_dir` receives the spill files (removed by finish()) and
  // the prints file.
  IntegrityModel(const analysis::Analyzer& analyzer, IntegrityThresholds thresholds, std::string work_dir);
  // The same with the analyzer obtained from `source` the first time the model needs one (once,
  // thread-safe): the updater's fast path (reassess) never does, so its lexicon is not loaded.
  using AnalyzerSource = std::function<const analysis::Analyzer&()>;
  IntegrityModel(AnalyzerSource source, IntegrityThresholds thresholds, std::string work_dir);
  ~IntegrityModel();
  IntegrityModel(IntegrityModel&&) noexcept;
  IntegrityModel& operator=(IntegrityModel&&) noexcept;

  // Shop records (violations, blocked). Call before finish(); the map is copied (small fields).
  void set_shops(const std::unordered_map<std::string, ShopRecord>& shops);
  // Pass 1. Not thread-safe. Variants of one item are best given consecutively (as catalogs
  // list them): item-level sums (sales, reviews) are taken over consecutive runs of an item_id.
  // A record whose item_id differs from the previous record's (or the first record) starts an
  // item, and its title is analyzed in Query mode: `title_query_tokens`, if given, are those
  // tokens already computed, exactly analyzer.analyze(r.title, analysis::Mode::Query) with the
  // model's own analyzer (the builder computes them on its reading thread). Ignored for a
  // record that does not start an item; null: observe() analyzes the title itself.
  void observe(const SkuRecord& r, const std::vector<analysis::Token>* title_query_tokens = nullptr);
  // Freezes statistics and clusters duplicates. Throws DataError on I/O failure. `threads`
  // (>= 1) compute the items' near-duplicate fingerprints; the result does not depend on it.
  void finish(int threads = 1);

  // Thread-safe after finish(). A model loaded without memberships gives no duplicate fields
  // (the updater decides them: replace_duplicate()).
  IntegrityVerdict assess(const SkuRecord& r) const;
  // assess(r) for a record whose title, category, brand, attributes, item and shop are those of a
  // document this model scored: the title detectors' reasons (brand and hot-word stuffing,
  // category misrepresentation, title length, advertisement) are taken from `stored`, the
  // document's decoded verdict (decode_integrity), instead of segmenting the title again; fee
  // games, sham sales, duplicates and the shop are assessed as assess() does. Equal to assess(r)
  // field for field except `stuffed`/`repeated` (term ranges, left empty). The update fast path.
  IntegrityVerdict reassess(const SkuRecord& r, const IntegrityVerdict& stored) const;
  // The terms a verdict changes on `doc` (written by write_document with `index_analyzer`, format/
  // document.h): repeated title words kept at one occurrence's wdf, and the XH item term.
  // Thread-safe after finish(). The values and the stored object are values(v)'s, which the
  // document writer takes.
  void annotate_terms(const analysis::Analyzer& index_analyzer, const SkuRecord& r, Xapian::Document& doc,
                      const IntegrityVerdict& v) const;
  // A verdict as the document writer takes it (slots 20-27 and the stored "integrity" object).
  static ListingIntegrity values(const IntegrityVerdict& v);

  // The item print of a record as finish() computes it (its title words weighted with the frozen
  // statistics), for updates; nullopt when the title has no fingerprint words or the category
  // was not in the build (no statistics to weight with). Thread-safe after finish().
  std::optional<ItemPrint> print(const SkuRecord& r) const;
  // The duplicate part of a verdict for a membership (dup_cluster, dup_kind and, for kind S, the
  // duplicate_listing reason), as assess() writes it.
  IntegrityVerdict duplicate_verdict(const DupMembership& m) const;
  // Replaces the duplicate fields and the duplicate_listing reason of `v` with those of `from`
  // (a clean verdict removes them) and recomputes the penalty.
  void replace_duplicate(IntegrityVerdict& v, const IntegrityVerdict& from) const;
  // integrity.json, integrity-terms.bin, integrity-clusters.bin in `dir` (the prints file is
  // already there when `dir` was the work directory). Throws DataError on I/O failure.
  void save(const std::string& dir) const;
  // Also integrity-blocks.bin (NearDupClusterer::save_block_table) when the model clustered.
  // Loads what save() wrote; the result is finished (assess/annotate may be called). With
  // memberships = false the cluster memberships (O(clustered items)) are not read: the updater
  // keeps memberships in the documents and matches changed items through the block table.
  static IntegrityModel load(const analysis::Analyzer& analyzer, const std::string& dir, bool memberships = true);
  static IntegrityModel load(AnalyzerSource analyzer, const std::string& dir, bool memberships = true);

  // The brand lexicon's names of one brand in both scripts ({"nike", "耐克"}), learned from brand
  // fields ("Nike/耐克") and titles that write the other name beside the field's: each group has
  // at least one Latin and one other usable alias (enough items, not an everyday word, not a piece
  // of a category name), aliases sorted. After finish(); not after load() (the group table is
  // build-time). For query-time brand aliases (index/synonyms.h, kBrandAliasesFile).
  std::vector<std::vector<std::string>> brand_alias_groups() const;

  const IntegrityThresholds& thresholds() const;
  // Counters for reports: items observed, duplicate clusters, candidate pairs, edges.
  struct Stats {
    uint64_t items = 0, clusters = 0, clustered_items = 0, candidate_pairs = 0, edges = 0;
    uint64_t terms = 0, pairs = 0, aliases = 0, sham_candidates = 0;
  };
  Stats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace longtail::index
