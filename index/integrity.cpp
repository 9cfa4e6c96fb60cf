#include "index/integrity.h"
#include "index/integrity_text.h"

#include <algorithm>
#include <map>
#include <atomic>
#include <charconv>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <mutex>
#include <span>
#include <unordered_set>

#include <simdjson.h>

#include <longtail/longtail.h>

#include "analyzers/lexicon_learner.h"
#include "index/dedup.h"
#include "index/document.h"
#include "index/index_dir.h"
#include "index/layout.h"
#include "index/parallel.h"
#include "index/signals.h"
#include "index/simhash.h"
#include "common/json_writer.h"

namespace fs = std::filesystem;

namespace longtail::index {

namespace {

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

double quantile(const std::vector<uint32_t>& hist, double q) {
  uint64_t total = 0;
  for (auto c : hist) total += c;
  if (total == 0) return 0;
  uint64_t target = uint64_t(std::ceil(q * double(total)));
  uint64_t acc = 0;
  for (size_t i = 0; i < hist.size(); ++i) {
    acc += hist[i];
    if (acc >= target) return double(i);
  }
  return double(hist.size() - 1);
}

// Per-thread cache of the title-derived part of a verdict (variants share their title).
struct TitleVerdict {
  std::vector<IntegrityReason> reasons;
  std::vector<std::pair<uint32_t, uint32_t>> stuffed, repeated;
};

}  // namespace

// ------------------------------------------------------------------------------------------
// The model

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
  uint64_t identity(const SkuRecord& r, const std::vector<Token>& toks, const std::unordered_set<std::string>& attrs) const {
    uint64_t id = r.brand.empty() ? 0 : (term_hash(canonical(an(), r.brand)) | (1ULL << 63)) & ~((1ULL << 48) - 1);
    std::vector<std::pair<size_t, size_t>> brackets;
    for (auto [open, close] : {std::pair<std::string_view, std::string_view>{"【", "】"}, {"[", "]"}})
      for (size_t b = r.title.find(open); b != std::string::npos; b = r.title.find(open, b + 1)) {
        size_t e = r.title.find(close, b);
        brackets.emplace_back(b, e == std::string::npos ? r.title.size() : e);
      }
    auto set_bit = [&id](std::string_view unit, uint64_t value) {
      id |= uint64_t(1) << ((term_hash(unit) % 4) * 12 + value % 12);
    };
    for (size_t i = 0; i < toks.size(); ++i) {
      const Token& tk = toks[i];
      // A formula type: 清润型 vs 滋润型 (a word written together with 型) are two products.
      if (i + 1 < toks.size() && toks[i + 1].text == "型" && toks[i + 1].start == tk.end && tk.kind != TokenKind::Number &&
          tk.kind != TokenKind::NumberUnit) {
        set_bit("型", term_hash(tk.text));
        continue;
      }
      if (tk.kind != TokenKind::Number && tk.kind != TokenKind::NumberUnit) continue;
      bool promo = false;
      for (const auto& [b, e] : brackets) promo |= tk.start >= b && tk.end <= e;
      if (promo || attrs.count(tk.text)) continue;
      size_t digits = 0;
      while (digits < tk.text.size() && (is_digit(tk.text[digits]) || tk.text[digits] == '.')) ++digits;
      std::string value = tk.text.substr(0, digits), unit = tk.text.substr(digits);
      if (unit.empty() && i + 1 < toks.size() && toks[i + 1].start == tk.end && !toks[i + 1].text.empty() &&
          static_cast<unsigned char>(toks[i + 1].text[0]) >= 0xE0) {
        unit = toks[i + 1].text.substr(0, 3);  // the Han character after the number: 年, 段, 号, 匹
        if (attrs.count(value + toks[i + 1].text)) continue;
      }
      if (unit.empty() && tk.start > 0 && (r.title[tk.start - 1] == '*' || r.title[tk.start - 1] == 'x' || r.title[tk.start - 1] == 'X'))
        unit = "*";
      // Volume and mass are one kind of number: a 50ml lotion and a 50g cream are two products.
      static const std::unordered_set<std::string_view> kAmount = {"ml", "l", "g", "kg", "mg", "毫", "升", "克", "公", "斤"};
      if (kAmount.count(unit)) {
        value += unit;
        unit = "amount";
      }
      const bool integer = !value.empty() && value.size() <= 9 &&
                           std::all_of(value.begin(), value.end(), [](char ch) { return is_digit(ch); });
      set_bit(unit, integer ? std::stoull(value) : term_hash(value));
    }
    return id;
  }

  // Words kept for the fingerprint: no numbers, colours, sizes, promotional words or attribute
  // values; as hashes, in title order (duplicates kept once).
  std::vector<uint64_t> fingerprint_words(const std::vector<Token>& toks, const std::unordered_set<std::string>& attrs) const {
    std::vector<uint64_t> out;
    for (const auto& tk : toks) {
      if (!(stat_kind(tk.kind) || tk.kind == TokenKind::Alnum)) continue;
      if (promo_words().count(tk.text) || size_words().count(tk.text) || is_colour(tk.text) || attrs.count(tk.text)) continue;
      uint64_t h = term_hash(tk.text);
      if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
      if (out.size() >= 48) break;
    }
    return out;
  }

  // Counts one item for an alias (normalized) in `top` and joins it to `group` (UINT32_MAX: its
  // own). Returns the alias's group root, or UINT32_MAX when the alias is not kept.
  uint32_t add_alias(const std::string& c, uint32_t top, uint32_t group) {
    if (c.empty() || c.size() > 48 || names_no_brand(c)) return group;
    auto it = aliases.find(c);
    if (it == aliases.end()) {
      if (aliases.size() >= kMaxAliases) return group;
      uint32_t g = uint32_t(group_parent.size());
      group_parent.push_back(g);
      it = aliases.emplace(c, Alias{g, 0}).first;
    }
    ++it->second.items;
    pairs.add(brand_key(term_hash(c), top));
    uint32_t g = group_root(it->second.group);
    if (group == UINT32_MAX || g == group) return g;
    // Aliases of one brand are one brand: join their groups (smaller id is the root).
    uint32_t lo = std::min(g, group), hi = std::max(g, group);
    group_parent[hi] = lo;
    return lo;
  }

  // The brand field's aliases; then names the listing's own title writes in the other script
  // beside one of them ("Casio/卡西欧", "CHANDO/自然堂", "自然堂(CHANDO)"), so that a title naming
  // the brand in either script is known. Returns the brand's group (UINT32_MAX: none).
  uint32_t add_brand(const std::string& brand, const std::string& title, uint32_t top) {
    std::vector<std::string> own;
    uint32_t group = UINT32_MAX;
    for (const auto& a : analysis::LexiconLearner::split_brand(brand)) {
      std::string c = canonical(an(), a);
      if (c.empty() || names_no_brand(c)) continue;
      group = add_alias(c, top, group);
      own.push_back(std::move(c));
    }
    if (group == UINT32_MAX) return group;
    for (const auto& [latin, han] : script_pairs(title)) {
      std::string cl = canonical(an(), latin), ch = canonical(an(), han);
      bool han_own = false, latin_own = false;
      for (const auto& o : own) {
        han_own |= ch == o;
        latin_own |= cl == o;
      }
      if (han_own && !latin_own) group = add_alias(cl, top, group);
      else if (latin_own && !han_own) group = add_alias(ch, top, group);
    }
    return group;
  }

  void flush_item() {
    if (cur_item.empty()) return;
    auto& st = shop_tops[mix64(cur_shop) ^ cur_top];
    ++st.items;
    st.sales += cur_sales;
    // A missing review count is unknown, not zero: sham sales needs one that was given.
    if (cur_reviews_known && cur_sales >= t.sham_min_sales && (cur_reviews + 1) / cur_sales <= t.sham_max_review_rate)
      if (!cur_presale) sham[cur_item_hash] = ShamCandidate{cur_shop, cur_top, cur_sales, cur_reviews, cur_listed, 1, {}};
    cur_item.clear();
  }

  // Spill and prints files are opened by the first observe(), so load() never truncates them.
  void open_files() {
    fs::create_directories(dir);
    spill = std::fopen(spill_path().c_str(), "w+b");
    if (!spill) throw DataError(spill_path() + ": cannot create: " + std::strerror(errno));
    DupParams dp;
    dp.max_hamming = int(t.dup_max_hamming);
  dp.same_shop_max_hamming = int(t.dup_same_shop_hamming);
    dp.same_shop_max_hamming = int(t.dup_same_shop_hamming);
    dp.min_jaccard = t.dup_min_jaccard;
    dp.price_ratio = t.dup_price_ratio;
    dups = std::make_unique<NearDupClusterer>(dir, dp);
  }

  void observe(const SkuRecord& r) {
    if (finished) throw UsageError("integrity: observe() after finish()");
    if (!dups) open_files();
    if (!cur_item.empty() && r.item_id == cur_item) {
      cur_sales += double(std::max<int64_t>(0, r.sales_30d));
      cur_reviews += double(std::max<int64_t>(0, r.reviews));
      cur_reviews_known &= r.reviews_known;
      if (r.listed_at > 0) {
        cur_listed = cur_listed > 0 ? std::min(cur_listed, r.listed_at) : r.listed_at;
        newest_listed = std::max(newest_listed, r.listed_at);
      }
      return;
    }
    flush_item();
    cur_item = r.item_id;
    cur_item_hash = term_hash(r.item_id);
    cur_shop = term_hash(r.shop_id);
    cur_sales = double(std::max<int64_t>(0, r.sales_30d));
    cur_reviews = double(std::max<int64_t>(0, r.reviews));
    cur_reviews_known = r.reviews_known;
    cur_listed = r.listed_at;
    newest_listed = std::max(newest_listed, r.listed_at);
    cur_presale = is_presale(r.title);

    uint32_t leaf = leaf_id(r.category);
    LeafStats& ls = leaves[leaf];
    cur_top = ls.top;
    ++items;
    ++ls.items;
    ++tops[ls.top].items;
    ls.len_hist[std::min<size_t>(kLenBins - 1, title_width(r.title))]++;
    if (r.shipping_fee > 0) ls.fee_hist[std::min<size_t>(kFeeBins - 1, size_t(std::ceil(r.shipping_fee)))]++;
    auto& shop = shops[cur_shop];
    ++shop.items;
    if (!r.brand.empty()) add_brand(r.brand, r.title, ls.top);

    auto toks = an().analyze(r.title, analysis::Mode::Query);
    std::unordered_set<uint64_t> seen;
    for (const auto& tk : toks) {
      // Listings without a category say nothing about term-category affinity.
      if (r.category.empty() || tk.text.empty()) continue;
      uint64_t h = term_hash(tk.text);
      if (!seen.insert(h).second) continue;
      if (!stat_kind(tk.kind)) continue;
      df.add(h);
      pairs.add(top_key(h, ls.top));
      pairs.add(leaf_key(h, leaf));
    }
    const auto attrs = attr_values(r);
    auto words = fingerprint_words(toks, attrs);
    struct {
      uint64_t item, shop, brand;
      uint32_t leaf;
      float price;
      uint32_t n;
    } head{cur_item_hash, cur_shop, identity(r, toks, attrs), leaf,
           float(r.effective_price()), uint32_t(words.size())};
    if (std::fwrite(&head.item, 8, 1, spill) != 1 || std::fwrite(&head.shop, 8, 1, spill) != 1 ||
        std::fwrite(&head.brand, 8, 1, spill) != 1 ||
        std::fwrite(&head.leaf, 4, 1, spill) != 1 || std::fwrite(&head.price, 4, 1, spill) != 1 ||
        std::fwrite(&head.n, 4, 1, spill) != 1 ||
        (!words.empty() && std::fwrite(words.data(), 8, words.size(), spill) != words.size()))
      throw DataError(spill_path() + ": write failed");
  }

  // Fingerprint weight of a word in a leaf: specific to the leaf (P(leaf | word)^2) and rare in
  // its top category (idf), so product words, brands' distinctive words and model codes dominate
  // and the modifiers a re-listing swaps count little. Words the statistics lost (pruned or
  // unseen) count as rare and specific.
  double word_weight(uint64_t h, uint32_t leaf) const {
    const LeafStats& ls = leaves[leaf];
    double n = df.get(h);
    double n_top = pairs.get(top_key(h, ls.top));
    double n_leaf = pairs.get(leaf_key(h, leaf));
    if (n <= 0) n = n_top = n_leaf = 1;
    double p_leaf = std::clamp(n_leaf / n, 0.0, 1.0);
    double idf = std::log(1.0 + double(tops[ls.top].items) / std::max(1.0, n_top));
    return idf * (0.02 + p_leaf * p_leaf);
  }

  void finish(int threads = 1) {
    flush_item();
    // Fee percentiles: the leaf's own once it has fee_min_leaf_items items, else its top
    // category's, else the whole catalog's (a few listings say nothing about a leaf's fees).
    {
      std::vector<std::vector<uint32_t>> top_fees(tops.size(), std::vector<uint32_t>(kFeeBins, 0));
      std::vector<uint32_t> all_fees(kFeeBins, 0);
      for (const auto& ls : leaves)
        for (int i = 0; i < kFeeBins; ++i) {
          top_fees[ls.top][size_t(i)] += ls.fee_hist[size_t(i)];
          all_fees[size_t(i)] += ls.fee_hist[size_t(i)];
        }
      const double all_q90 = quantile(all_fees, 0.9);
      for (auto& ls : leaves) {
        ls.len_limit = 0;
        if (double(ls.items) >= t.fee_min_leaf_items)
          ls.fee_q90 = quantile(ls.fee_hist, 0.9);
        else if (double(tops[ls.top].items) >= t.fee_min_leaf_items)
          ls.fee_q90 = quantile(top_fees[ls.top], 0.9);
        else
          ls.fee_q90 = all_q90;
      }
    }
    // Title length limits: the leaf's own quantile once it has enough items, else the global one.
    std::vector<uint32_t> global(kLenBins, 0);
    for (const auto& ls : leaves)
      for (int i = 0; i < kLenBins; ++i) global[size_t(i)] += ls.len_hist[size_t(i)];
    double global_q = quantile(global, t.length_quantile);
    for (auto& ls : leaves) {
      double q = ls.items >= 200 ? quantile(ls.len_hist, t.length_quantile) : global_q;
      ls.len_limit = std::max(t.length_min_chars, q * t.length_factor);
    }
    for (auto& [alias, a] : aliases) a.group = group_root(a.group);

    // Sham sales: only where reviews had time to come. An item of unknown age, or listed less
    // than sham_min_age_days before the catalog's newest listing, may owe all its sales to orders
    // not yet delivered: no verdict.
    for (auto it = sham.begin(); it != sham.end();) {
      const double age_days = double(newest_listed - it->second.listed_at) / 86400.0;
      if (it->second.listed_at <= 0 || age_days < t.sham_min_age_days)
        it = sham.erase(it);
      else
        ++it;
    }
    // The shop's history in the category.
    for (auto& [item, c] : sham) {
      double rate = (c.reviews + 1) / c.sales;
      c.trust = std::clamp(rate / t.sham_ref_review_rate, t.sham_min_trust, 1.0);
      c.explanation = fmt(c.sales, "%.0f") + " sales in 30 days with " + fmt(c.reviews, "%.0f") + " reviews (" +
                      fmt(100 * c.reviews / c.sales, "%.2g") + "%; honest listings keep above " +
                      fmt(100 * t.sham_ref_review_rate, "%.2g") + "%)";
      auto st = shop_tops.find(mix64(c.shop) ^ c.top);
      if (st != shop_tops.end() && st->second.items > 1) {
        double others = (st->second.sales - c.sales) / double(st->second.items - 1);
        if (c.sales >= t.sham_shop_factor * std::max(1.0, others)) {
          c.trust = std::max(t.sham_min_trust, c.trust / 2);
          c.explanation += "; the shop's other " + std::to_string(st->second.items - 1) + " listings in " +
                           tops[c.top].name + " sell " + fmt(others, "%.1f") + " on average";
        }
      }
    }

    // Near-duplicates: fingerprints from the spilled word lists with the final weights.
    if (spill) {
      std::fflush(spill);
      std::rewind(spill);
      // Read in chunks; the chunk's fingerprints (the costly part: simhash and minhash of every
      // item) on `threads` threads, then added to the clusterer in spill order.
      struct Spilled {
        ItemPrint p;
        std::vector<uint64_t> words;
      };
      constexpr size_t kChunk = 4096;
      std::vector<Spilled> chunk;
      chunk.reserve(kChunk);
      const size_t workers = size_t(std::max(1, threads));
      auto add_chunk = [&] {
        parallel_for(workers, workers, [&](size_t w) {
          for (size_t i = w; i < chunk.size(); i += workers) fingerprint(chunk[i].p, chunk[i].words);
        });
        for (const auto& sp : chunk) dups->add(sp.p);
        chunk.clear();
      };
      for (;;) {
        Spilled sp;
        ItemPrint& p = sp.p;
        uint32_t n = 0;
        if (std::fread(&p.item, 8, 1, spill) != 1) break;
        if (std::fread(&p.shop, 8, 1, spill) != 1 || std::fread(&p.brand, 8, 1, spill) != 1 ||
            std::fread(&p.leaf, 4, 1, spill) != 1 ||
            std::fread(&p.price, 4, 1, spill) != 1 || std::fread(&n, 4, 1, spill) != 1)
          throw DataError(spill_path() + ": read failed");
        sp.words.resize(n);
        if (n && std::fread(sp.words.data(), 8, n, spill) != n) throw DataError(spill_path() + ": read failed");
        if (sp.words.empty()) continue;  // nothing to compare (a title of numbers and colours)
        chunk.push_back(std::move(sp));
        if (chunk.size() == kChunk) add_chunk();
      }
      add_chunk();
      std::fclose(spill);
      spill = nullptr;
      std::error_code ec;
      fs::remove(spill_path(), ec);
      dups->finish();
      for (auto& [h, st] : shops) st.dup_groups = dups->shop_groups(h);
    }
    finished = true;
  }

  // SimHash and sketch of an item's fingerprint words (p.leaf set).
  void fingerprint(ItemPrint& p, const std::vector<uint64_t>& words) const {
    std::vector<std::pair<uint64_t, double>> feats;
    feats.reserve(words.size());
    for (uint64_t h : words) feats.emplace_back(h, word_weight(h, p.leaf));
    p.fp = simhash64(feats);
    p.sketch = minhash256(words);
  }

  // The print observe() and finish() make of a record, from the frozen statistics.
  std::optional<ItemPrint> print(const SkuRecord& r) const {
    if (!finished) throw UsageError("integrity: print() before finish()");
    auto leaf = leaf_ids.find(r.category);
    if (leaf == leaf_ids.end()) return std::nullopt;
    const auto toks = an().analyze(r.title, analysis::Mode::Query);
    const auto attrs = attr_values(r);
    auto words = fingerprint_words(toks, attrs);
    if (words.empty()) return std::nullopt;
    ItemPrint p;
    p.item = term_hash(r.item_id);
    p.shop = term_hash(r.shop_id);
    p.brand = identity(r, toks, attrs);
    p.leaf = leaf->second;
    p.price = float(r.effective_price());
    fingerprint(p, words);
    return p;
  }

  // kind, cluster and (same-shop groups) the duplicate_listing reason of a membership.
  void add_duplicate(IntegrityVerdict& v, const DupMembership& m) const {
    v.dup_cluster = m.cluster_id();
    v.dup_kind = m.kind();
    if (v.dup_kind != 'S') return;
    IntegrityReason reason;
    reason.name = "duplicate_listing";
    reason.score = double(m.shop_size);
    reason.penalty = 1;  // ranking keeps the best listing of the group and demotes the rest
    reason.explanation = "same-shop near-duplicate: one of " + std::to_string(m.shop_size) +
                         " near-identical items of this shop (group " + v.dup_cluster + "; " + std::to_string(m.size) +
                         " items in the cluster across shops)";
    v.reasons.push_back(std::move(reason));
  }

  // Scores and penalties are kept to 6 significant digits, the precision indexes written before
  // the JSON writer (common/json_writer.h, which writes them exactly) stored them with, so a
  // verdict read back from any document (decode_integrity) equals the one computed: the update
  // fast path reuses stored title reasons (reassess) and gets the build's slot 20 bit for bit.
  static double stored_precision(double x) { return std::strtod(fmt(x, "%.6g").c_str(), nullptr); }

  void set_penalty(IntegrityVerdict& v) const {
    v.penalty = 1;
    for (auto& reason : v.reasons) {
      reason.score = stored_precision(reason.score);
      reason.penalty = stored_precision(reason.penalty);
      v.penalty *= reason.penalty;
    }
    v.penalty = std::max(t.min_penalty, v.penalty);
  }

  // A competitor brand of a listing: a brand of the listing's top category whose name is not a
  // descriptive word there (in more than brand_common_share of the category's other titles).
  bool brand_in_top(const std::string& alias, const LeafStats* ls) const {
    if (!ls) return true;
    uint64_t h = term_hash(alias);
    double own = pairs.get(brand_key(h, ls->top));
    if (own < t.brand_min_items) return false;
    double n_top = double(std::max<uint64_t>(1, tops[ls->top].items));
    double in_titles = pairs.get(top_key(h, ls->top));
    if ((in_titles - own) / n_top > t.brand_common_share) return false;
    // Nor a common word of the whole catalog (食品, 洗护 in some brand field).
    double all_own = 0;
    if (auto it = aliases.find(alias); it != aliases.end()) all_own = it->second.items;
    return (df.get(h) - all_own) / double(std::max<uint64_t>(1, items)) <= t.brand_common_share;
  }

  // An alias names a brand in titles when enough items carry it and it is not a common word.
  // Pieces of category names (every substring of 2-8 characters of every level): a brand field's
  // qualifier such as 蜂花（洗护） or 花脸猫（食品） gives aliases 洗护 and 食品, which are category
  // words, not brand names. Built on first use after finish() or load().
  mutable std::once_flag category_pieces_once;
  mutable std::unordered_set<std::string> category_pieces_;
  bool category_piece(const std::string& alias) const {
    std::call_once(category_pieces_once, [this] {
      for (const auto& ls : leaves)
        for (size_t p = 0; p < ls.name.size();) {
          size_t e = std::min(ls.name.find('/', p), ls.name.size());
          const std::string level = canonical(an(), ls.name.substr(p, e - p));
          p = e + 1;
          std::vector<size_t> starts;  // code point starts
          for (size_t i = 0; i < level.size(); ++i)
            if ((static_cast<unsigned char>(level[i]) & 0xC0) != 0x80) starts.push_back(i);
          starts.push_back(level.size());
          for (size_t i = 0; i + 1 < starts.size(); ++i)
            for (size_t j = i + 2; j < starts.size() && j <= i + 8; ++j)
              category_pieces_.insert(level.substr(starts[i], starts[j] - starts[i]));
        }
    });
    return category_pieces_.count(alias) > 0;
  }

  bool usable_alias(const std::string& alias, const Alias& a) const {
    if (a.items < t.brand_min_items) return false;
    if (category_piece(alias)) return false;
    size_t chars = utf8_chars(alias);
    if (is_latin(alias)) {
      if (alias.size() < 2 || std::all_of(alias.begin(), alias.end(), [](char c) { return is_digit(c); })) return false;
    } else if (chars < 2) {
      return false;
    }
    // Everyday words (美的 "beautiful", 小米 "millet" are brands too, but so common in text that
    // a mention says nothing): the lexicon's informativeness.
    return an().informativeness(alias) >= 0.45;
  }

  // ----------------------------------------------------------------------------------------
  // Detection

  TitleVerdict assess_title(const SkuRecord& r) const {
    TitleVerdict v;
    const auto toks = an().analyze(r.title, analysis::Mode::Query);
    const LeafStats* ls = find_leaf(r.category);

    // --- brand stuffing ---
    // Canonical title (normalized surface pieces); owner[byte] = plain token index.
    const auto plain = an().analyze(r.title, analysis::Mode::Plain);
    std::vector<uint32_t> owner;
    const std::string c = canonical(an(), r.title, &plain, &owner);
    std::unordered_set<uint32_t> own_groups;
    std::vector<std::string> own_aliases;
    for (const auto& a : analysis::LexiconLearner::split_brand(r.brand)) {
      std::string ca = canonical(an(), a);
      if (ca.empty() || names_no_brand(ca)) continue;
      own_aliases.push_back(ca);
      auto it = aliases.find(ca);
      if (it != aliases.end()) own_groups.insert(it->second.group);
    }
    struct Mention {
      std::string alias;
      uint32_t start, end;  // original byte range
    };
    std::vector<Mention> others;
    std::unordered_set<uint32_t> other_groups;
    // "适用于华为" (fits Huawei), "for iPhone", "配苹果", "格力 美的 通用": compatibility, not a brand
    // claim. A lead before a run of brand names, or a trail after it, covers the whole run
    // ("适用 华为/小米/OPPO").
    auto after_compat_lead = [&](size_t p) {
      static const std::string_view leads[] = {"适用", "适用于", "适配", "兼容", "for", "fits", "fit", "用于",
                                               "适合", "专用", "配", "通用"};
      for (auto lead : leads)
        if (p >= lead.size() && std::string_view(c).substr(p - lead.size(), lead.size()) == lead) return true;
      return false;
    };
    auto before_compat_trail = [&](size_t e) {
      static const std::string_view trails[] = {"通用", "兼容", "适用", "专用", "适配", "可用"};
      for (auto trail : trails)
        if (std::string_view(c).substr(e, trail.size()) == trail) return true;
      return false;
    };
    // Bytes that may separate the names of a run: ASCII punctuation and 、，。 etc.
    auto separators_only = [&](size_t a, size_t b) {
      std::string gap(std::string_view(c).substr(a, b - a));
      for (std::string_view sep : {std::string_view("、"), std::string_view("，"), std::string_view("和"), std::string_view("及"),
                                   std::string_view("与")})
        for (size_t q = gap.find(sep); q != std::string::npos; q = gap.find(sep)) gap.erase(q, sep.size());
      return std::all_of(gap.begin(), gap.end(), [](char ch) { return ch > 0 && !is_alnum(ch); });
    };
    // A title that says it fits something anywhere: repeated brand names there list the models it
    // fits (below, repetition).
    const bool compat_title = is_compat_title(c);
    const bool co_brand = c.find("联名") != std::string::npos;
    auto descriptive_compound = [&](uint32_t start, uint32_t end) {
      if (!ls) return false;
      const uint32_t leaf = uint32_t(ls - leaves.data());
      for (const auto& tk : toks)
        if (tk.kind == TokenKind::Word && tk.start <= start && tk.end >= end && tk.end - tk.start > end - start) {
          double n = pairs.get(leaf_key(term_hash(tk.text), leaf));
          if (n >= 10 && n / double(std::max<uint64_t>(1, ls->items)) > t.brand_leaf_common_share) return true;
        }
      return false;
    };
    struct Found {
      size_t p, len;
      uint32_t group;
      bool own;
      std::string alias;
      uint32_t start, end;  // original byte range
    };
    std::vector<Found> found;
    for (size_t p = 0; p < c.size();) {
      if ((static_cast<unsigned char>(c[p]) & 0xC0) == 0x80) {
        ++p;
        continue;
      }
      size_t matched = 0;
      const auto& lengths = alias_lengths();
      for (size_t len : may_start_alias(c, p) ? std::span<const size_t>(lengths) : std::span<const size_t>()) {
        if (p + len > c.size()) continue;
        auto it = aliases.find(std::string_view(c).substr(p, len));
        if (it == aliases.end() || !usable_alias(it->first, it->second)) continue;
        if (!brand_in_top(it->first, ls)) continue;
        uint32_t ft = owner[p], lt = owner[p + len - 1];
        // Aliases must cover whole pieces of the title: "on" is no brand inside "only", nor 芭比
        // inside the word 芭比娃娃 (a fashion doll of any make) or 小米 inside 小米粥.
        if ((p > 0 && owner[p - 1] == ft) || (p + len < c.size() && owner[p + len] == lt)) continue;
        matched = len;
        uint32_t g = it->second.group;
        bool own = own_groups.count(g) > 0;
        for (const auto& oa : own_aliases)
          own |= oa.find(it->first) != std::string::npos || it->first.find(oa) != std::string::npos;
        // A name inside a longer word that many titles of the leaf use (芭比 in 芭比娃娃 among dolls
        // of every make, 小米 in 小米粥) is part of a descriptive word, not a brand claim.
        if (descriptive_compound(plain[ft].start, plain[lt].end)) {
          matched = len;
          break;
        }
        found.push_back({p, len, g, own, it->first, plain[ft].start, plain[lt].end});
        break;
      }
      p += matched ? matched : 1;
    }
    // A compatibility lead earlier in the same segment of the title (segments end at spaces and
    // sentence punctuation) covers every name after it: "适用华为荣耀苹果VIVO小米OPPO手机".
    auto lead_in_segment = [&](uint32_t start) {
      static const std::string_view breaks[] = {" ", "\t", "，", "。", "；", "！", "？", "|", "【", "】", "[", "]", ",", ";"};
      size_t b = 0;
      for (auto br : breaks) {
        size_t q = std::string_view(r.title).substr(0, start).rfind(br);
        if (q != std::string_view::npos) b = std::max(b, q + br.size());
      }
      const std::string seg = an().normalize(std::string_view(r.title).substr(b, start - b));
      for (std::string_view lead : {"适用", "兼容", "适配", "专用", "用于", "适合", "通用", "for", "fits"})
        if (seg.find(lead) != std::string::npos) return true;
      return false;
    };
    // Where the title writes the listing's own brand: a name overlapping it (红蜻蜓 across
    // "网红蜻蜓牌" when the brand is 蜻蜓牌) is a misreading, not another brand.
    std::vector<std::pair<size_t, size_t>> own_spans;
    for (const auto& oa : own_aliases)
      for (size_t q = c.find(oa); !oa.empty() && q != std::string::npos; q = c.find(oa, q + oa.size()))
        own_spans.emplace_back(q, q + oa.size());
    auto overlaps_own = [&](size_t p, size_t len) {
      for (const auto& [b, e] : own_spans)
        if (p < e && b < p + len) return true;
      return false;
    };
    for (size_t a = 0; a < found.size();) {
      size_t b = a + 1;  // the run [a, b): names separated by punctuation only
      while (b < found.size() && separators_only(found[b - 1].p + found[b - 1].len, found[b].p)) ++b;
      const bool compat = after_compat_lead(found[a].p) || before_compat_trail(found[b - 1].p + found[b - 1].len);
      for (size_t k = a; k < b; ++k)
        if (!found[k].own && !co_brand && !compat && !lead_in_segment(found[k].start) &&
            !overlaps_own(found[k].p, found[k].len)) {
          others.push_back({found[k].alias, found[k].start, found[k].end});
          other_groups.insert(found[k].group);
        }
      a = b;
    }
    const bool branded = !own_aliases.empty();  // "其他", "无品牌" are no brand
    double need = branded ? t.brand_others_branded : t.brand_others_unbranded;
    // A title that never writes its own brand and names one other is most likely that brand's
    // product under a wrong or reseller's brand field (雀巢咖啡… with the field 花脸猫, 山水K6话筒…
    // with 797): the listing is judged as unbranded.
    if (branded && own_spans.empty()) need = std::max(need, t.brand_others_unbranded);
    // Competitors are brands of the listing's own category: without a category nothing is known
    // about which names compete, so no verdict.
    if (!r.category.empty() && !other_groups.empty() && double(other_groups.size()) >= need) {
      IntegrityReason reason;
      reason.name = "brand_stuffing";
      reason.score = double(other_groups.size());
      double severity = std::min(1.0, reason.score / std::max(2.0, need));
      reason.penalty = 1 - (1 - t.brand_penalty) * severity;
      std::string names;
      for (const auto& m : others) {
        if (names.find(m.alias) != std::string::npos) continue;
        if (!names.empty()) names += ", ";
        names += m.alias;
        v.stuffed.emplace_back(m.start, m.end);
      }
      reason.explanation = "title names other brands: " + names +
                           (!branded ? std::string(" (the listing has no brand)") : " (the listing's brand: " + r.brand + ")");
      v.reasons.push_back(std::move(reason));
    }

    // --- category evidence, unrelated hot words, repetition ---
    const uint32_t listed_top = ls && !r.category.empty() ? ls->top : UINT32_MAX;
    // The listed top category's statistics are the evidence: a small one gives no verdicts.
    const bool category_stats = listed_top != UINT32_MAX && double(tops[listed_top].items) >= t.category_min_items;
    OwnWords own;
    for (size_t p = 0; p < r.category.size();) {
      size_t e = std::min(r.category.find('/', p), r.category.size());
      const std::string level = r.category.substr(p, e - p);
      p = e + 1;
      if (level.empty()) continue;
      own.phrases.push_back(canonical(an(), level));
      for (const auto& tk : an().analyze(level, analysis::Mode::Query)) own.words.insert(tk.text);
    }
    for (const auto& alias : own_aliases) {
      own.phrases.push_back(alias);
      for (const auto& tk : an().analyze(alias, analysis::Mode::Query)) own.words.insert(tk.text);
    }
    // A word written together with one of the listing's own words (蓝牙 in 蓝牙耳机 under 耳机)
    // modifies the listing's product.
    auto glued_to_own = [&](uint32_t i) {
      for (uint32_t j = 0; j < toks.size(); ++j)
        if (j != i && (toks[j].end == toks[i].start || toks[j].start == toks[i].end) && own.contains(toks[j].text))
          return true;
      return false;
    };
    // A word inside a longer word of the title (蓝牙 in 蓝牙耳机) modifies that word: the longer
    // word is judged instead.
    auto inside_longer = [&](uint32_t i) {
      for (uint32_t j = 0; j < toks.size(); ++j)
        if (j != i && toks[j].kind == TokenKind::Word && toks[j].start <= toks[i].start && toks[j].end >= toks[i].end &&
            toks[j].end - toks[j].start > toks[i].end - toks[i].start)
          return true;
      return false;
    };
    std::vector<double> evidence(tops.size(), 0.0);
    double total_evidence = 0;
    int evidence_terms = 0;
    std::vector<uint32_t> offcat;  // token indices
    std::unordered_map<std::string_view, std::vector<uint32_t>> occurrences;
    std::unordered_set<uint64_t> seen;
    std::vector<double> top_counts;
    for (uint32_t i = 0; i < toks.size(); ++i) {
      const Token& tk = toks[i];
      if (!stat_kind(tk.kind)) continue;
      if (tk.kind == TokenKind::Word && utf8_chars(tk.text) >= 2) occurrences[tk.text].push_back(i);
      uint64_t h = term_hash(tk.text);
      if (!seen.insert(h).second) continue;
      double n = df.get(h);
      if (n < t.term_min_items || tops.empty()) continue;
      if (promo_words().count(tk.text) || utf8_chars(tk.text) < 2) continue;
      bool in_brand = false;
      for (const auto& m : others) in_brand |= tk.start >= m.start && tk.end <= m.end;
      double idf = std::log(double(items) / n);
      // P(c | t) under a uniform prior over categories: n(t,c)/N_c normalized over c, so large
      // categories do not attract every title.
      // The term's item count per top category, looked up once (the table is large: each
      // look-up is a cache miss, and every frequent title word needs all of them).
      top_counts.resize(tops.size());
      if (const uint32_t* row = top_counts_of(h))
        for (uint32_t top = 0; top < tops.size(); ++top) top_counts[top] = row[top];
      else
        for (uint32_t top = 0; top < tops.size(); ++top) top_counts[top] = pairs.get(top_key(h, top));
      double norm = 0, home = 0, focus = 0;
      for (uint32_t top = 0; top < tops.size(); ++top) {
        double f = tops[top].items ? top_counts[top] / double(tops[top].items) : 0;
        norm += f;
        focus = std::max(focus, f);
        home = std::max(home, top_counts[top] / n);
      }
      // Only words that point somewhere are evidence: words spread over many categories (官方,
      // 升级款, 便携) would otherwise dilute a title's shares towards every category.
      if (norm > 0 && focus / norm >= t.miscat_min_focus) {
        for (uint32_t top = 0; top < tops.size(); ++top) {
          double f = tops[top].items ? top_counts[top] / double(tops[top].items) : 0;
          evidence[top] += idf * f / norm;
          total_evidence += idf * f / norm;
        }
        ++evidence_terms;
      }
      // Unrelated: a word at home in another top category (a product word there), rare in the
      // listed one. Generic words spread over many categories (百搭, 新款) are never unrelated.
      if (category_stats && !in_brand && top_counts[listed_top] / n < t.offcat_max_affinity &&
          home >= t.offcat_min_home && !own.contains(tk.text) && !inside_longer(i) && !glued_to_own(i))
        offcat.push_back(i);
    }
    bool miscat = false;
    if (category_stats && total_evidence > 0 && evidence_terms >= 2) {
      uint32_t best = 0;
      for (uint32_t top = 1; top < tops.size(); ++top)
        if (evidence[top] > evidence[best]) best = top;
      double best_share = evidence[best] / total_evidence, listed_share = evidence[listed_top] / total_evidence;
      if (best != listed_top && double(tops[best].items) >= t.category_min_items && best_share >= t.miscat_min_elsewhere &&
          listed_share <= t.miscat_max_listed) {
        miscat = true;
        IntegrityReason reason;
        reason.name = "category_misrepresentation";
        reason.score = best_share;
        reason.penalty = 1 - (1 - t.miscat_penalty) * std::clamp((best_share - listed_share), 0.0, 1.0);
        reason.explanation = "title words point to " + tops[best].name + " (" + fmt(100 * best_share, "%.0f") +
                             "% of the evidence), listed under " + r.category + " (" + fmt(100 * listed_share, "%.0f") + "%)";
        v.reasons.push_back(std::move(reason));
      }
    }
    double repeats = 0;
    std::string repeated_words;
    for (const auto& [w, occ] : occurrences) {
      // A compatibility title lists the models it fits ("适用 小米9 小米10 小米11"): names of
      // brands repeat there honestly.
      if (compat_title && aliases.count(canonical(an(), w))) continue;
      // A later occurrence counts when it stands alone (the first may end a compound).
      // An occurrence followed by a model code or name (小米6X, 小米note3, oppo reno) lists
      // models, as a case or a charger names every phone it fits.
      auto lists_model = [&](uint32_t i) {
        for (uint32_t j = i + 1; j < toks.size(); ++j) {
          if (toks[j].start < toks[i].end) continue;  // overlapping sub-words
          std::string_view gap = std::string_view(r.title).substr(toks[i].end, toks[j].start - toks[i].end);
          if (gap.size() > 1) return false;
          const std::string& x = toks[j].text;
          return std::any_of(x.begin(), x.end(), [](char ch) { return is_digit(ch); }) || is_latin(x);
        }
        return false;
      };
      size_t counted = 0;
      for (size_t k = 1; k < occ.size(); ++k)
        if (standalone(r.title, toks[occ[k]]) && !lists_model(occ[k])) ++counted;
      // A word said twice is common in honest titles that end with the variant's name ("… 小米Air
      // 13.3 英寸 保护套 烟棕色 小米Air 13.3"): it counts beside unrelated words, or from its third
      // occurrence on ("先科 先科 先科 …").
      if (counted == 0 || (offcat.empty() && counted < 2)) continue;
      for (size_t k = 1; k < occ.size(); ++k)
        if (standalone(r.title, toks[occ[k]]) && !lists_model(occ[k])) v.repeated.emplace_back(toks[occ[k]].start, toks[occ[k]].end);
      repeats += double(counted);
      if (!repeated_words.empty()) repeated_words += ", ";
      repeated_words += std::string(w) + " x" + std::to_string(counted + 1);
    }
    if (!miscat) {
      double score = double(offcat.size()) + 0.5 * repeats;
      if (score >= t.hotword_min_score) {
        IntegrityReason reason;
        reason.name = "hotword_stuffing";
        reason.score = score;
        reason.penalty = 1 - (1 - t.hotword_penalty) * std::min(1.0, score / (2 * t.hotword_min_score));
        std::string words;
        for (uint32_t i : offcat) {
          if (!words.empty()) words += ", ";
          words += toks[i].text;
          v.stuffed.emplace_back(toks[i].start, toks[i].end);
        }
        reason.explanation.clear();
        if (!offcat.empty())
          reason.explanation = "words unrelated to " + (listed_top < tops.size() ? tops[listed_top].name : r.category) +
                               ": " + words;
        if (repeats > 0)
          reason.explanation += (reason.explanation.empty() ? "" : "; ") + std::string("repeated: ") + repeated_words;
        v.reasons.push_back(std::move(reason));
      }
    }
    if (v.reasons.empty() || v.reasons.back().name != "hotword_stuffing") v.repeated.clear();

    // --- title length ---
    double chars = double(title_width(r.title));
    double limit = ls ? ls->len_limit : t.length_min_chars;
    if (chars > limit) {
      IntegrityReason reason;
      reason.name = "title_length";
      reason.score = chars / limit;
      reason.penalty = t.length_penalty;
      reason.explanation = "title has " + fmt(chars, "%.0f") + " characters; this category's limit is " +
                           fmt(limit, "%.0f") + " (" + fmt(100 * t.length_quantile, "%.3g") + "th percentile x " +
                           fmt(t.length_factor, "%.3g") + ")";
      v.reasons.push_back(std::move(reason));
    }

    // --- advertisement ---
    auto contacts = find_contacts(an().normalize(r.title));
    if (!contacts.empty()) {
      IntegrityReason reason;
      reason.name = "advertisement";
      reason.score = double(contacts.size());
      reason.penalty = t.ad_penalty;
      reason.explanation = "contact details in the title:";
      for (const auto& ct : contacts) reason.explanation += " " + ct + ";";
      reason.explanation.pop_back();
      v.reasons.push_back(std::move(reason));
    }
    return v;
  }

  IntegrityVerdict assess(const SkuRecord& r) const {
    if (!finished) throw UsageError("integrity: assess() before finish()");
    IntegrityVerdict v;
    {
      // Variants share a title: keep the last title's verdict per thread. The model is named by
      // a process-unique id, not its address: a model built where a freed one lived must not
      // see the old one's verdicts.
      thread_local uint64_t cache_model = 0;
      thread_local std::string cache_key;
      thread_local TitleVerdict cache;
      std::string key = r.item_id + '\x1f' + r.category + '\x1f' + r.brand + '\x1f' + r.title;
      if (cache_model != instance_id || cache_key != key) {
        cache = assess_title(r);
        cache_model = instance_id;
        cache_key = std::move(key);
      }
      v.reasons = cache.reasons;
      v.stuffed = cache.stuffed;
      v.repeated = cache.repeated;
    }
    assess_values(r, v);
    return v;
  }

  // The title detectors' reasons of a verdict (what assess_title decides).
  static bool title_reason(const std::string& name) {
    return name == "brand_stuffing" || name == "category_misrepresentation" || name == "hotword_stuffing" ||
           name == "title_length" || name == "advertisement";
  }

  IntegrityVerdict reassess(const SkuRecord& r, const IntegrityVerdict& stored) const {
    if (!finished) throw UsageError("integrity: reassess() before finish()");
    IntegrityVerdict v;
    for (const auto& reason : stored.reasons)
      if (title_reason(reason.name)) v.reasons.push_back(reason);
    assess_values(r, v);
    return v;
  }

  // Everything after the title: price/shipping games, sham sales, duplicates, shop; then the
  // penalty. `v` holds the title's reasons.
  void assess_values(const SkuRecord& r, IntegrityVerdict& v) const {
    // --- price/shipping games ---
    if (r.shipping_fee >= t.fee_min && r.effective_price() > 0) {
      const LeafStats* ls = find_leaf(r.category);
      double q90 = ls ? ls->fee_q90 : 0;
      double share = r.price / r.effective_price();
      if (r.shipping_fee > t.fee_leaf_factor * q90 && share <= t.fee_max_price_share) {
        IntegrityReason reason;
        reason.name = "shipping_fee_game";
        reason.score = 1 - share;
        reason.penalty = 1 - (1 - t.fee_penalty) * std::clamp((1 - share - (1 - t.fee_max_price_share)) / t.fee_max_price_share + 0.5, 0.5, 1.0);
        reason.explanation = "price " + fmt(r.price, "%.2f") + " + shipping fee " + fmt(r.shipping_fee, "%.2f") +
                             ": the fee is " + fmt(100 * (1 - share), "%.0f") + "% of what the buyer pays; " +
                             (q90 > 0 ? "fees in this category are at most " + fmt(q90, "%.0f") + " (90th percentile)"
                                      : std::string("listings in this category ship free"));
        v.reasons.push_back(std::move(reason));
      }
    }
    const uint64_t item = term_hash(r.item_id), shop = term_hash(r.shop_id);
    // --- sham sales ---
    if (auto it = sham.find(item); it != sham.end()) {
      v.sales_trust = it->second.trust;
      IntegrityReason reason;
      reason.name = "sham_sales";
      reason.score = 1 - it->second.trust;
      reason.penalty = 1;  // the sales signal is damped through sales_trust instead
      reason.explanation = it->second.explanation;
      v.reasons.push_back(std::move(reason));
    }
    // --- duplicates ---
    if (const DupMembership* m = dups ? dups->find(item) : nullptr) add_duplicate(v, *m);
    // --- shop ---
    if (auto it = shops.find(shop); it != shops.end()) {
      v.shop_violations = it->second.violations;
      v.shop_blocked = it->second.blocked;
      uint32_t groups = it->second.dup_groups;
      if (groups >= t.shop_dup_groups && double(groups) >= t.shop_dup_share * double(std::max<uint64_t>(1, it->second.items)))
        v.shop_penalty = t.shop_dup_penalty;
    }
    set_penalty(v);
  }
};

// ------------------------------------------------------------------------------------------

IntegrityModel::IntegrityModel(const analysis::Analyzer& analyzer, IntegrityThresholds thresholds, std::string work_dir)
    : IntegrityModel([&analyzer]() -> const analysis::Analyzer& { return analyzer; }, thresholds, std::move(work_dir)) {}

IntegrityModel::IntegrityModel(AnalyzerSource source, IntegrityThresholds thresholds, std::string work_dir)
    : impl_(std::make_unique<Impl>()) {
  impl_->source = std::move(source);
  impl_->t = thresholds;
  impl_->dir = std::move(work_dir);
}

IntegrityModel::~IntegrityModel() {
  if (impl_ && impl_->spill) {
    std::fclose(impl_->spill);
    std::error_code ec;
    fs::remove(impl_->spill_path(), ec);
  }
}
IntegrityModel::IntegrityModel(IntegrityModel&&) noexcept = default;
IntegrityModel& IntegrityModel::operator=(IntegrityModel&&) noexcept = default;

void IntegrityModel::set_shops(const std::unordered_map<std::string, ShopRecord>& shops) {
  for (const auto& [id, s] : shops) {
    auto& st = impl_->shops[term_hash(id)];
    st.violations = s.violations;
    st.blocked = s.blocked;
  }
}

void IntegrityModel::observe(const SkuRecord& r) { impl_->observe(r); }
void IntegrityModel::finish(int threads) { impl_->finish(threads); }
IntegrityVerdict IntegrityModel::assess(const SkuRecord& r) const { return impl_->assess(r); }
IntegrityVerdict IntegrityModel::reassess(const SkuRecord& r, const IntegrityVerdict& stored) const {
  return impl_->reassess(r, stored);
}
std::optional<ItemPrint> IntegrityModel::print(const SkuRecord& r) const { return impl_->print(r); }

IntegrityVerdict IntegrityModel::duplicate_verdict(const DupMembership& m) const {
  IntegrityVerdict v;
  impl_->add_duplicate(v, m);
  return v;
}

void IntegrityModel::replace_duplicate(IntegrityVerdict& v, const IntegrityVerdict& from) const {
  std::erase_if(v.reasons, [](const IntegrityReason& r) { return r.name == "duplicate_listing"; });
  for (const auto& r : from.reasons)
    if (r.name == "duplicate_listing") v.reasons.push_back(r);
  v.dup_cluster = from.dup_cluster;
  v.dup_kind = from.dup_kind;
  impl_->set_penalty(v);
}

std::string item_hash_term(uint64_t item_hash) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(item_hash));
  return std::string(prefix::kItemHash) + buf;
}
const IntegrityThresholds& IntegrityModel::thresholds() const { return impl_->t; }

std::vector<std::vector<std::string>> IntegrityModel::brand_alias_groups() const {
  std::map<uint32_t, std::vector<std::string>> by_group;
  for (const auto& [alias, a] : impl_->aliases)
    if (impl_->usable_alias(alias, a)) by_group[impl_->group_root(a.group)].push_back(alias);
  std::vector<std::vector<std::string>> out;
  for (auto& [g, names] : by_group) {
    const bool latin = std::any_of(names.begin(), names.end(), [](const std::string& n) { return is_latin(n); });
    const bool other = std::any_of(names.begin(), names.end(), [](const std::string& n) { return !is_latin(n); });
    if (!latin || !other) continue;
    std::sort(names.begin(), names.end());
    out.push_back(std::move(names));
  }
  std::sort(out.begin(), out.end());
  return out;
}

IntegrityModel::Stats IntegrityModel::stats() const {
  Stats s;
  s.items = impl_->items;
  if (impl_->dups) {
    s.clusters = impl_->dups->clusters();
    s.clustered_items = impl_->dups->clustered_items();
    s.candidate_pairs = impl_->dups->candidate_pairs();
    s.edges = impl_->dups->edges();
  }
  s.terms = impl_->df.size();
  s.pairs = impl_->pairs.size();
  s.aliases = impl_->aliases.size();
  s.sham_candidates = impl_->sham.size();
  return s;
}

void IntegrityModel::write_values(const IntegrityVerdict& v, Xapian::Document& doc, bool data_has_verdict) {
  doc.add_value(slot::kPenalty, Xapian::sortable_serialise(v.penalty));
  doc.add_value(slot::kSalesTrust, Xapian::sortable_serialise(v.sales_trust));
  doc.add_value(slot::kShopPenalty, Xapian::sortable_serialise(v.shop_penalty));
  doc.add_value(slot::kShopViolations, Xapian::sortable_serialise(double(v.shop_violations)));
  doc.add_value(slot::kShopBlocked, Xapian::sortable_serialise(v.shop_blocked ? 1.0 : 0.0));
  if (v.dup_kind) {
    doc.add_value(slot::kDupCluster, v.dup_cluster);
    doc.add_value(slot::kDupKind, std::string(1, v.dup_kind));
  } else {
    doc.add_value(slot::kDupCluster, std::string());  // an empty value removes the slot
    doc.add_value(slot::kDupKind, std::string());
  }
  if (!v.flagged() && !data_has_verdict) {  // the data stays as it is: not even read
    doc.add_value(slot::kIntegrityFlags, std::string());
    return;
  }
  const std::string old_data = doc.get_data();
  std::string data = old_data;
  // Replace an "integrity" object written before (update fast path), then append the new one.
  if (size_t at = data.find(",\"integrity\":{"); at != std::string::npos) data.erase(at, data.size() - 1 - at);
  if (v.flagged()) {
    doc.add_value(slot::kIntegrityFlags, v.reason_names());
    if (!data.empty() && data.back() == '}') {
      data.pop_back();
      data += ",\"integrity\":" + v.to_json() + "}";
    }
  } else {
    doc.add_value(slot::kIntegrityFlags, std::string());
  }
  // Unchanged data is not set again: on a document read back from a shard Xapian then leaves the
  // data alone (no compression and write; the update fast path, docs/index-format.md).
  if (data != old_data) doc.set_data(data);
}

void IntegrityModel::annotate(const analysis::Analyzer& index_analyzer, const SkuRecord& r, Xapian::Document& doc) const {
  annotate(index_analyzer, r, doc, assess(r));
}

void IntegrityModel::annotate(const analysis::Analyzer& index_analyzer, const SkuRecord& r, Xapian::Document& doc,
                              const IntegrityVerdict& v) const {
  doc.add_boolean_term(item_hash_term(term_hash(r.item_id)));
  // Demote, never hide: every word of the title stays a text term, stuffed ones included (the
  // verdict's penalty demotes the listing). Only a repeated occurrence of a word beyond its first
  // adds nothing to the word's wdf; the word itself stays matched.
  if (!v.repeated.empty()) {
    auto inside = [](const Token& tk, const std::vector<std::pair<uint32_t, uint32_t>>& ranges) {
      for (const auto& [s, e] : ranges)
        if (tk.start >= s && tk.end <= e) return true;
      return false;
    };
    std::unordered_map<std::string, uint32_t> drop;
    for (const auto& tk : index_analyzer.analyze(r.title, analysis::Mode::Index)) {
      if (tk.kind == TokenKind::Other || tk.text.empty()) continue;
      if (inside(tk, v.repeated)) ++drop[tk.text];
    }
    for (const auto& [term, k] : drop) {
      Xapian::TermIterator it = doc.termlist_begin();
      it.skip_to(term);
      if (it == doc.termlist_end() || *it != term) continue;
      Xapian::termcount wdf = it.get_wdf();
      if (wdf <= 1) continue;  // the first occurrence always counts
      doc.remove_term(term);
      doc.add_term(term, std::max<Xapian::termcount>(1, wdf > k ? wdf - k : 1));
    }
  }
  write_values(v, doc);
}

// ------------------------------------------------------------------------------------------
// Persistence

namespace {

void write_binary(const std::string& path, const std::unordered_map<uint64_t, uint32_t>& m, uint32_t tag) {
  std::FILE* f = std::fopen(path.c_str(), "ab");
  if (!f) throw DataError(path + ": cannot write: " + std::strerror(errno));
  for (const auto& [k, n] : m) {
    uint64_t rec[2] = {k, (uint64_t(tag) << 32) | n};
    if (std::fwrite(rec, sizeof rec, 1, f) != 1) {
      std::fclose(f);
      throw DataError(path + ": write failed");
    }
  }
  if (std::fclose(f) != 0) throw DataError(path + ": write failed");
}

}  // namespace

void IntegrityModel::save(const std::string& dir) const {
  const Impl& m = *impl_;
  if (!m.finished) throw UsageError("integrity: save() before finish()");
  std::string o;
  json::Writer w(o);
  w.object().field("version", 1).field("items", m.items).field_raw("thresholds", m.t.to_json()).key("tops").array();
  for (const auto& t : m.tops) w.object().field("name", t.name).field("items", t.items).end();
  w.end().key("leaves").array();
  for (const auto& ls : m.leaves)
    w.object().field("name", ls.name).field("top", ls.top).field("items", ls.items).field("len_limit", ls.len_limit)
        .field("fee_q90", ls.fee_q90).end();
  w.end().key("aliases").array();
  for (const auto& [alias, a] : m.aliases) w.array().value(alias).value(a.group).value(a.items).end();
  w.end().key("shops").array();
  for (const auto& [h, s] : m.shops)
    w.array().value(std::to_string(h)).value(s.violations).value(s.blocked ? 1 : 0).value(s.items).value(s.dup_groups).end();
  w.end().key("sham").array();
  for (const auto& [h, c] : m.sham) w.array().value(std::to_string(h)).value(c.trust).value(c.explanation).end();
  w.end().end();
  o += '\n';
  write_file_atomic(dir + "/integrity.json", o);
  const std::string terms = dir + "/integrity-terms.bin";
  std::error_code ec;
  fs::remove(terms, ec);
  write_binary(terms, m.df.map(), 0);
  write_binary(terms, m.pairs.map(), 1);
  if (m.dups) {
    m.dups->save_memberships(dir + "/integrity-clusters.bin");
    if (fs::exists(m.dups->prints_path())) m.dups->save_block_table(dir + "/integrity-blocks.bin");
  }
}

IntegrityModel IntegrityModel::load(const analysis::Analyzer& analyzer, const std::string& dir, bool memberships) {
  return load([&analyzer]() -> const analysis::Analyzer& { return analyzer; }, dir, memberships);
}

IntegrityModel IntegrityModel::load(AnalyzerSource analyzer, const std::string& dir, bool memberships) {
  const std::string path = dir + "/integrity.json";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.load(path).get(doc)) throw DataError(path + ": cannot read or damaged");
  IntegrityThresholds t;
  simdjson::dom::object th;
  if (doc["thresholds"].get(th)) throw DataError(path + ": damaged (thresholds)");
  for (auto [k, v] : th) {
    double d = 0;
    if (v.get(d)) throw DataError(path + ": damaged threshold " + std::string(k));
    try {
      t.set(k, d);
    } catch (const UsageError& e) {  // out of range or unknown: the file, not the caller, is wrong
      throw DataError(path + ": damaged threshold: " + e.what());
    }
  }
  IntegrityModel model(std::move(analyzer), t, dir);
  Impl& m = *model.impl_;
  auto bad = [&](const char* what) { return DataError(path + ": damaged (" + std::string(what) + ")"); };
  // Shop and item hashes are decimal strings (JSON numbers lose 64-bit precision).
  auto hash_of = [&](std::string_view h, const char* what) {
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(h.data(), h.data() + h.size(), v);
    if (ec != std::errc() || end != h.data() + h.size()) throw bad(what);
    return v;
  };
  uint64_t items = 0;
  if (doc["items"].get(items)) throw bad("items");
  m.items = items;
  simdjson::dom::array arr_tops;
  if (doc["tops"].get(arr_tops)) throw bad("tops");
  for (auto e : arr_tops) {
    std::string_view name;
    uint64_t n = 0;
    if (e["name"].get(name) || e["items"].get(n)) throw bad("tops");
    m.top_ids.emplace(std::string(name), uint32_t(m.tops.size()));
    m.tops.push_back(TopStats{std::string(name), n});
  }
  simdjson::dom::array arr_leaves;
  if (doc["leaves"].get(arr_leaves)) throw bad("leaves");
  for (auto e : arr_leaves) {
    std::string_view name;
    uint64_t top = 0, n = 0;
    double len_limit = 0, fee_q90 = 0;
    if (e["name"].get(name) || e["top"].get(top) || e["items"].get(n) || e["len_limit"].get(len_limit) ||
        e["fee_q90"].get(fee_q90) || top >= m.tops.size())
      throw bad("leaves");
    m.leaf_ids.emplace(std::string(name), uint32_t(m.leaves.size()));
    m.leaves.emplace_back();
    auto& ls = m.leaves.back();
    ls.name = name;
    ls.top = uint32_t(top);
    ls.items = n;
    ls.len_limit = len_limit;
    ls.fee_q90 = fee_q90;
  }
  uint32_t max_group = 0;
  simdjson::dom::array arr_aliases;
  if (doc["aliases"].get(arr_aliases)) throw bad("aliases");
  for (auto e : arr_aliases) {
    simdjson::dom::array a;
    if (e.get(a)) throw bad("array");
    std::string_view alias;
    uint64_t g = 0, n = 0;
    // Groups are numbered as aliases are first seen, so a group id is below the alias count;
    // checked because it sizes group_parent below.
    if (a.at(0).get(alias) || a.at(1).get(g) || a.at(2).get(n) || g >= arr_aliases.size()) throw bad("aliases");
    m.aliases[std::string(alias)] = Impl::Alias{uint32_t(g), uint32_t(n)};
    max_group = std::max(max_group, uint32_t(g));
  }
  m.group_parent.resize(size_t(max_group) + 1);
  for (uint32_t g = 0; g <= max_group; ++g) m.group_parent[g] = g;
  simdjson::dom::array arr_shops;
  if (doc["shops"].get(arr_shops)) throw bad("shops");
  bool legacy_groups = false;
  for (auto e : arr_shops) {
    simdjson::dom::array a;
    std::string_view h;
    if (e.get(a)) throw bad("shops");
    int64_t viol = 0, blocked = 0, n = 0, groups = -1;
    if (a.at(0).get(h) || a.at(1).get(viol) || a.at(2).get(blocked) || a.at(3).get(n)) throw bad("shops");
    if (a.size() > 4 && a.at(4).get(groups)) throw bad("shops");
    // Files from before the group count was saved: filled from the memberships below.
    if (groups < 0) legacy_groups = true;
    m.shops[hash_of(h, "shops")] = ShopStats{viol, blocked != 0, uint64_t(n), uint32_t(std::max<int64_t>(0, groups))};
  }
  simdjson::dom::array arr_sham;
  if (doc["sham"].get(arr_sham)) throw bad("sham");
  for (auto e : arr_sham) {
    simdjson::dom::array a;
    if (e.get(a)) throw bad("array");
    std::string_view h, expl;
    double trust = 1;
    if (a.at(0).get(h) || a.at(1).get(trust) || a.at(2).get(expl)) throw bad("sham");
    ShamCandidate c;
    c.trust = trust;
    c.explanation = expl;
    m.sham[hash_of(h, "sham")] = std::move(c);
  }
  {
    const std::string terms = dir + "/integrity-terms.bin";
    std::FILE* f = std::fopen(terms.c_str(), "rb");
    if (!f) throw DataError(terms + ": cannot read");
    uint64_t rec[2];
    while (std::fread(rec, sizeof rec, 1, f) == 1) {
      uint32_t n = uint32_t(rec[1]);
      if ((rec[1] >> 32) == 0) m.df.map()[rec[0]] = n;
      else m.pairs.map()[rec[0]] = n;
    }
    std::fclose(f);
  }
  DupParams dp;
  dp.max_hamming = int(t.dup_max_hamming);
  dp.same_shop_max_hamming = int(t.dup_same_shop_hamming);
  dp.min_jaccard = t.dup_min_jaccard;
  dp.price_ratio = t.dup_price_ratio;
  if (memberships || legacy_groups) {
    m.dups = std::make_unique<NearDupClusterer>(dir, dp, /*write=*/false);
    m.dups->load_memberships(dir + "/integrity-clusters.bin");
    if (legacy_groups)
      for (auto& [h, st] : m.shops) st.dup_groups = m.dups->shop_groups(h);
    if (!memberships) m.dups.reset();
  }
  m.finished = true;
  return model;
}

}  // namespace longtail::index
