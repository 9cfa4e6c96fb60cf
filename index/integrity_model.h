// The integrity model's state, shared by the model (index/integrity.cpp: observe, finish,
// prints, persistence) and the detectors (index/detectors/*.cpp: one file per title detector,
// assess.cpp for the entry points and the value detectors). Internal to index/: include it only
// from those files.
#pragma once

#include "index/integrity.h"
#include "index/integrity_text.h"

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "analyzers/lexicon_learner.h"
#include "index/dedup.h"
#include "format/document.h"  // StringViewHash
#include "index/signals.h"

namespace longtail::index {

namespace integrity_detail {


using analysis::Token;
using analysis::TokenKind;
using namespace integrity_text;

inline uint64_t mix64(uint64_t x) { return hash_mix(x); }

// ------------------------------------------------------------------------------------------
// Count tables with a size bound: when full, entries with the smallest counts are pruned.

class BoundedCounts {
 public:
  explicit BoundedCounts(size_t cap) : cap_(cap) {}
  void add(uint64_t key, uint32_t n = 1) {
    auto it = m_.find(key);
    if (it != m_.end()) {
      it->second += n;
      return;
    }
    if (m_.size() >= cap_) prune();
    if (m_.size() < cap_) m_.emplace(key, n);
  }
  uint32_t get(uint64_t key) const {
    auto it = m_.find(key);
    return it == m_.end() ? 0 : it->second;
  }
  size_t size() const { return m_.size(); }
  uint32_t pruned_below() const { return floor_; }
  const std::unordered_map<uint64_t, uint32_t>& map() const { return m_; }
  std::unordered_map<uint64_t, uint32_t>& map() { return m_; }

 private:
  void prune() {
    // Drop entries at or below a rising count until a quarter of the table is free.
    while (m_.size() > cap_ * 3 / 4) {
      ++floor_;
      for (auto i = m_.begin(); i != m_.end();) i = i->second <= floor_ ? m_.erase(i) : std::next(i);
    }
  }
  size_t cap_;
  uint32_t floor_ = 0;
  std::unordered_map<uint64_t, uint32_t> m_;
};

constexpr int kLenBins = 256;  // title length histogram: 0..254 characters, 255 = longer
constexpr int kFeeBins = 201;  // nonzero shipping fees rounded up to CNY 1..199, 200 = more

struct LeafStats {
  std::string name;
  uint32_t top = 0;
  uint64_t items = 0;
  std::vector<uint32_t> len_hist = std::vector<uint32_t>(kLenBins, 0);
  std::vector<uint32_t> fee_hist = std::vector<uint32_t>(kFeeBins, 0);
  // Frozen by finish().
  double len_limit = 0;  // flagged above this many characters
  double fee_q90 = 0;    // 90th percentile of nonzero fees (0 when none)
};

struct TopStats {
  std::string name;
  uint64_t items = 0;
};

struct ShopStats {
  int64_t violations = 0;
  bool blocked = false;
  uint64_t items = 0;
  uint32_t dup_groups = 0;  // same-shop duplicate groups (frozen by finish(), saved)
};

struct ShopTopStats {
  uint64_t items = 0;
  double sales = 0;  // sum of item sales_30d
};

struct ShamCandidate {
  uint64_t shop = 0;
  uint32_t top = 0;
  double sales = 0, reviews = 0;
  int64_t listed_at = 0;  // the item's earliest known listing time (0 = unknown)
  double trust = 1;  // frozen by finish()
  std::string explanation;
};


// Per-thread cache of the title-derived part of a verdict (variants share their title).
struct TitleVerdict {
  std::vector<IntegrityReason> reasons;
  std::vector<std::pair<uint32_t, uint32_t>> stuffed, repeated;
};

// What the title detectors share about one title, computed once by assess_title().
struct TitleContext {
  explicit TitleContext(const SkuRecord& record) : r(record) {}
  const SkuRecord& r;
  std::vector<Token> toks;             // Mode::Query tokens of the title
  const LeafStats* ls = nullptr;       // the listed leaf category (null: unknown to the model)
  std::vector<Token> plain;            // Mode::Plain (surface) tokens
  std::string c;                       // canonical title (canonical()); owner[byte] = plain token
  std::vector<uint32_t> owner;
  std::vector<std::string> own_aliases;     // canonical aliases of the brand field (none for 其他)
  std::unordered_set<uint32_t> own_groups;  // their alias groups
  bool compat_title = false;           // the title claims compatibility somewhere (适用, 兼容, ...)
  // Competitor brands the title names (filled by brand stuffing, read by the category detectors:
  // a brand name is never an unrelated word).
  struct Mention {
    std::string alias;
    uint32_t start, end;  // original byte range
  };
  std::vector<Mention> others;
};


}  // namespace integrity_detail

using namespace integrity_detail;

struct IntegrityModel::Impl {
  // The analyzer, obtained from `source` when first needed (the updater's fast path never needs it).
  AnalyzerSource source;
  mutable std::once_flag analyzer_once;
  mutable const analysis::Analyzer* analyzer_ptr = nullptr;
  const analysis::Analyzer& an() const {
    std::call_once(analyzer_once, [this] { analyzer_ptr = &source(); });
    return *analyzer_ptr;
  }
  IntegrityThresholds t;
  std::string dir;
  bool finished = false;
  // Names this model in the per-thread verdict cache (assess()); never 0, never reused.
  const uint64_t instance_id = next_instance_id();
  static uint64_t next_instance_id() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }

  std::unordered_map<std::string, uint32_t> leaf_ids, top_ids;
  std::vector<LeafStats> leaves;
  std::vector<TopStats> tops;
  uint64_t items = 0;

  BoundedCounts df{kMaxTerms};     // term -> items
  BoundedCounts pairs{kMaxPairs};  // pair_key(term, top or leaf) -> items

  // Brand lexicon: canonical alias -> (group, items); groups joined by union-find.
  struct Alias {
    uint32_t group = 0;
    uint32_t items = 0;
  };
  std::unordered_map<std::string, Alias, StringViewHash, std::equal_to<>> aliases;  // looked up by string_view
  std::vector<uint32_t> group_parent;
  // Distinct byte lengths of usable aliases, longest first: computed when brand stuffing is first
  // looked for (it asks the analyzer, which the updater's fast path never loads), after finish()
  // or load() froze the aliases.
  // With them, the hashes of every usable alias's first two code points (a usable alias has at
  // least two): a title position whose next two code points are none of these starts no alias, so
  // the look-up of every length is skipped there (most positions of a title).
  mutable std::once_flag alias_lengths_once;
  mutable std::vector<size_t> alias_lengths_;
  mutable std::unordered_set<size_t> alias_heads_;
  const std::vector<size_t>& alias_lengths() const {
    std::call_once(alias_lengths_once, [this] {
      std::unordered_set<size_t> lens;
      for (const auto& [alias, a] : aliases)
        if (usable_alias(alias, a)) {
          lens.insert(alias.size());
          alias_heads_.insert(std::hash<std::string_view>{}(std::string_view(alias).substr(0, head_bytes(alias, 0))));
        }
      alias_lengths_.assign(lens.begin(), lens.end());
      std::sort(alias_lengths_.rbegin(), alias_lengths_.rend());
    });
    return alias_lengths_;
  }
  // Bytes of the (at most) two code points at `p`.
  static size_t head_bytes(std::string_view s, size_t p) {
    size_t i = p;
    for (int k = 0; k < 2 && i < s.size(); ++k) {
      ++i;
      while (i < s.size() && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) ++i;
    }
    return i - p;
  }
  bool may_start_alias(std::string_view s, size_t p) const {
    return alias_heads_.count(std::hash<std::string_view>{}(s.substr(p, head_bytes(s, p)))) > 0;
  }

  // Each frequent term's item count per top category, in one row: the category detectors need all
  // of them for every frequent title word, and one look-up here replaces one per top category in
  // `pairs` (a large node table: each look-up there is a cache miss or two). Built from the frozen
  // tables when first needed, after finish() or load(); rows hold exactly what pairs.get() gives.
  mutable std::once_flag top_rows_once;
  mutable std::unordered_map<uint64_t, uint32_t> top_row_at;  // term -> offset into top_rows
  mutable std::vector<uint32_t> top_rows;
  const uint32_t* top_counts_of(uint64_t h) const {
    std::call_once(top_rows_once, [this] {
      for (const auto& [term, n] : df.map()) {
        if (n < t.term_min_items) continue;
        top_row_at.emplace(term, uint32_t(top_rows.size()));
        for (uint32_t top = 0; top < tops.size(); ++top) top_rows.push_back(pairs.get(top_key(term, top)));
      }
    });
    auto it = top_row_at.find(h);
    return it == top_row_at.end() ? nullptr : top_rows.data() + it->second;
  }

  std::unordered_map<uint64_t, ShopStats> shops;
  std::unordered_map<uint64_t, ShopTopStats> shop_tops;  // mix(shop) ^ top
  std::unordered_map<uint64_t, ShamCandidate> sham;      // item hash -> candidate

  // The item being observed (consecutive SKUs of one item_id).
  std::string cur_item;
  uint64_t cur_item_hash = 0, cur_shop = 0;
  uint32_t cur_top = 0;
  double cur_sales = 0, cur_reviews = 0;
  bool cur_reviews_known = true;  // every SKU of the item gave a review count
  bool cur_presale = false;        // the title sells before delivery (预售, 定金): no reviews can exist yet
  int64_t cur_listed = 0;          // earliest known listed_at of the item's SKUs
  int64_t newest_listed = 0;       // the catalog's newest listed_at: "now" for listing ages

  std::FILE* spill = nullptr;
  std::unique_ptr<NearDupClusterer> dups;

  static uint64_t top_key(uint64_t term, uint32_t top) { return term ^ mix64(uint64_t(top) * 2 + 0x1000000); }
  static uint64_t leaf_key(uint64_t term, uint32_t leaf) { return term ^ mix64(uint64_t(leaf) * 2 + 1 + 0x1000000); }
  // Items whose brand field has this alias, per top category.
  static uint64_t brand_key(uint64_t alias, uint32_t top) { return alias ^ mix64(uint64_t(top) + 0x7000000000ULL); }
  std::string spill_path() const { return dir + "/tmp-integrity-words.bin"; }

  uint32_t group_root(uint32_t g) const {
    while (group_parent[g] != g) g = group_parent[g];
    return g;
  }

  uint32_t leaf_id(const std::string& category) {
    auto it = leaf_ids.find(category);
    if (it != leaf_ids.end()) return it->second;
    std::string top_name = category.substr(0, category.find('/'));
    auto [tit, fresh] = top_ids.emplace(top_name, uint32_t(tops.size()));
    if (fresh) tops.push_back(TopStats{top_name, 0});
    uint32_t id = uint32_t(leaves.size());
    leaves.emplace_back();
    leaves.back().name = category;
    leaves.back().top = tit->second;
    leaf_ids.emplace(category, id);
    return id;
  }
  const LeafStats* find_leaf(const std::string& category) const {
    auto it = leaf_ids.find(category);
    return it == leaf_ids.end() ? nullptr : &leaves[it->second];
  }

  // The record's attribute values in matching form (removed from fingerprints).
  std::unordered_set<std::string> attr_values(const SkuRecord& r) const {
    std::unordered_set<std::string> s;
    for (const auto& [k, v] : r.attrs) s.insert(canonical(an(), v));
    return s;
  }

  // What two duplicates must agree on (ItemPrint::brand; dedup.h spec_conflict): the brand field
  // (high 16 bits, 0 = none) and the title's specification numbers (low 48 bits): four slots of
  // twelve bits, a number's unit picks the slot (年 of 2015年, 段 of 3段, ml of 500ml), its value a
  // bit (an integer's value modulo 12, so consecutive years and stages never share one); a word
  // written with 型 (清润型, 滋润型) is a formula type, unit 型. Numbers inside promotional
  // brackets (【11-11预售】) and the SKU's own attribute values (the variant's size) do not count. A shop's 2014 and 2015 vintages, its stage-1 and stage-3 formula
  // are different products however alike the words (real Tmall and Taobao titles: 38 of 50 wrong
  // same-shop groups read by hand differed so); a listing that only adds a number ("1.5匹") may
  // still be a re-listing.
  uint64_t identity(const SkuRecord& r, const std::vector<Token>& toks, const std::unordered_set<std::string>& attrs) const;

  // Words kept for the fingerprint: no numbers, colours, sizes, promotional words or attribute
  // values; as hashes, in title order (duplicates kept once).
  std::vector<uint64_t> fingerprint_words(const std::vector<Token>& toks, const std::unordered_set<std::string>& attrs) const;

  // Counts one item for an alias (normalized) in `top` and joins it to `group` (UINT32_MAX: its
  // own). Returns the alias's group root, or UINT32_MAX when the alias is not kept.
  uint32_t add_alias(const std::string& c, uint32_t top, uint32_t group);

  // The brand field's aliases; then names the listing's own title writes in the other script
  // beside one of them ("Casio/卡西欧", "CHANDO/自然堂", "自然堂(CHANDO)"), so that a title naming
  // the brand in either script is known. Returns the brand's group (UINT32_MAX: none).
  uint32_t add_brand(const std::string& brand, const std::string& title, uint32_t top);

  void flush_item();

  // Spill and prints files are opened by the first observe(), so load() never truncates them.
  void open_files();

  void observe(const SkuRecord& r, const std::vector<Token>* title_query_tokens);

  // Fingerprint weight of a word in a leaf: specific to the leaf (P(leaf | word)^2) and rare in
  // its top category (idf), so product words, brands' distinctive words and model codes dominate
  // and the modifiers a re-listing swaps count little. Words the statistics lost (pruned or
  // unseen) count as rare and specific.
  double word_weight(uint64_t h, uint32_t leaf) const;

  void finish(int threads = 1);

  // SimHash and sketch of an item's fingerprint words (p.leaf set).
  void fingerprint(ItemPrint& p, const std::vector<uint64_t>& words) const;

  // The print observe() and finish() make of a record, from the frozen statistics.
  std::optional<ItemPrint> print(const SkuRecord& r) const;

  // kind, cluster and (same-shop groups) the duplicate_listing reason of a membership.
  void add_duplicate(IntegrityVerdict& v, const DupMembership& m) const;

  // Scores and penalties are kept to 6 significant digits, the precision indexes written before
  // the JSON writer (common/json_writer.h, which writes them exactly) stored them with, so a
  // verdict read back from any document (decode_integrity) equals the one computed: the update
  // fast path reuses stored title reasons (reassess) and gets the build's slot 20 bit for bit.
  static double stored_precision(double x) { return std::strtod(fmt(x, "%.6g").c_str(), nullptr); }

  void set_penalty(IntegrityVerdict& v) const;

  // A competitor brand of a listing: a brand of the listing's top category whose name is not a
  // descriptive word there (in more than brand_common_share of the category's other titles).
  bool brand_in_top(const std::string& alias, const LeafStats* ls) const;

  // An alias names a brand in titles when enough items carry it and it is not a common word.
  // Pieces of category names (every substring of 2-8 characters of every level): a brand field's
  // qualifier such as 蜂花（洗护） or 花脸猫（食品） gives aliases 洗护 and 食品, which are category
  // words, not brand names. Built on first use after finish() or load().
  mutable std::once_flag category_pieces_once;
  mutable std::unordered_set<std::string> category_pieces_;
  bool category_piece(const std::string& alias) const;

  bool usable_alias(const std::string& alias, const Alias& a) const;

  // ----------------------------------------------------------------------------------------
  // Detection

  // A title's verdict: each title detector in kTitleDetectors order over one TitleContext.
  TitleVerdict assess_title(const SkuRecord& r) const;
  // The title detectors (index/detectors/, one file each): each may add a reason and the byte
  // ranges it names to `v`.
  using TitleDetector = void (Impl::*)(TitleContext& x, TitleVerdict& v) const;
  void detect_brand_stuffing(TitleContext& x, TitleVerdict& v) const;   // brand_stuffing.cpp
  void detect_category_words(TitleContext& x, TitleVerdict& v) const;   // category_words.cpp
  void detect_title_length(TitleContext& x, TitleVerdict& v) const;     // title_form.cpp
  void detect_advertisement(TitleContext& x, TitleVerdict& v) const;    // title_form.cpp
  // Brand stuffing first: the category detectors read the brands it found.
  static constexpr TitleDetector kTitleDetectors[] = {&Impl::detect_brand_stuffing, &Impl::detect_category_words,
                                                      &Impl::detect_title_length, &Impl::detect_advertisement};

  IntegrityVerdict assess(const SkuRecord& r) const;

  // The title detectors' reasons of a verdict (what assess_title decides).
  static bool title_reason(const std::string& name) {
    return name == "brand_stuffing" || name == "category_misrepresentation" || name == "hotword_stuffing" ||
           name == "title_length" || name == "advertisement";
  }

  IntegrityVerdict reassess(const SkuRecord& r, const IntegrityVerdict& stored) const;

  // Everything after the title: price/shipping games, sham sales, duplicates, shop; then the
  // penalty. `v` holds the title's reasons.
  void assess_values(const SkuRecord& r, IntegrityVerdict& v) const;
};

}  // namespace longtail::index
