#include "index/integrity.h"
#include "index/integrity_model.h"

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
#include "format/document.h"
#include "index/index_dir.h"
#include "format/layout.h"
#include "index/parallel.h"
#include "index/signals.h"
#include "index/simhash.h"
#include "common/json_writer.h"

namespace fs = std::filesystem;

namespace longtail::index {

namespace {

// The q-quantile of a histogram (its bin index).
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

}  // namespace

// ------------------------------------------------------------------------------------------
// The model: statistics (observe, finish), brand aliases, duplicate prints

uint64_t IntegrityModel::Impl::identity(const SkuRecord& r, const std::vector<Token>& toks, const std::unordered_set<std::string>& attrs) const {
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

std::vector<uint64_t> IntegrityModel::Impl::fingerprint_words(const std::vector<Token>& toks, const std::unordered_set<std::string>& attrs) const {
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

uint32_t IntegrityModel::Impl::add_alias(const std::string& c, uint32_t top, uint32_t group) {
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

uint32_t IntegrityModel::Impl::add_brand(const std::string& brand, const std::string& title, uint32_t top) {
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

void IntegrityModel::Impl::flush_item() {
  if (cur_item.empty()) return;
  auto& st = shop_tops[mix64(cur_shop) ^ cur_top];
  ++st.items;
  st.sales += cur_sales;
  // A missing review count is unknown, not zero: sham sales needs one that was given.
  if (cur_reviews_known && cur_sales >= t.sham_min_sales && (cur_reviews + 1) / cur_sales <= t.sham_max_review_rate)
    if (!cur_presale) sham[cur_item_hash] = ShamCandidate{cur_shop, cur_top, cur_sales, cur_reviews, cur_listed, 1, {}};
  cur_item.clear();
}

void IntegrityModel::Impl::open_files() {
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

void IntegrityModel::Impl::observe(const SkuRecord& r, const std::vector<Token>* title_query_tokens) {
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

  std::vector<Token> own_toks;
  if (!title_query_tokens) own_toks = an().analyze(r.title, analysis::Mode::Query);
  const std::vector<Token>& toks = title_query_tokens ? *title_query_tokens : own_toks;
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

double IntegrityModel::Impl::word_weight(uint64_t h, uint32_t leaf) const {
  const LeafStats& ls = leaves[leaf];
  double n = df.get(h);
  double n_top = pairs.get(top_key(h, ls.top));
  double n_leaf = pairs.get(leaf_key(h, leaf));
  if (n <= 0) n = n_top = n_leaf = 1;
  double p_leaf = std::clamp(n_leaf / n, 0.0, 1.0);
  double idf = std::log(1.0 + double(tops[ls.top].items) / std::max(1.0, n_top));
  return idf * (0.02 + p_leaf * p_leaf);
}

void IntegrityModel::Impl::finish(int threads) {
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

void IntegrityModel::Impl::fingerprint(ItemPrint& p, const std::vector<uint64_t>& words) const {
  std::vector<std::pair<uint64_t, double>> feats;
  feats.reserve(words.size());
  for (uint64_t h : words) feats.emplace_back(h, word_weight(h, p.leaf));
  p.fp = simhash64(feats);
  p.sketch = minhash256(words);
}

std::optional<ItemPrint> IntegrityModel::Impl::print(const SkuRecord& r) const {
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

void IntegrityModel::Impl::add_duplicate(IntegrityVerdict& v, const DupMembership& m) const {
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

void IntegrityModel::Impl::set_penalty(IntegrityVerdict& v) const {
  v.penalty = 1;
  for (auto& reason : v.reasons) {
    reason.score = stored_precision(reason.score);
    reason.penalty = stored_precision(reason.penalty);
    v.penalty *= reason.penalty;
  }
  v.penalty = std::max(t.min_penalty, v.penalty);
}

bool IntegrityModel::Impl::brand_in_top(const std::string& alias, const LeafStats* ls) const {
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

bool IntegrityModel::Impl::category_piece(const std::string& alias) const {
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

bool IntegrityModel::Impl::usable_alias(const std::string& alias, const Alias& a) const {
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

void IntegrityModel::observe(const SkuRecord& r, const std::vector<analysis::Token>* title_query_tokens) {
  impl_->observe(r, title_query_tokens);
}
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

ListingIntegrity IntegrityModel::values(const IntegrityVerdict& v) {
  ListingIntegrity g;
  g.penalty = v.penalty;
  g.sales_trust = v.sales_trust;
  g.shop_penalty = v.shop_penalty;
  g.shop_violations = v.shop_violations;
  g.shop_blocked = v.shop_blocked;
  if (v.dup_kind) {
    g.dup_cluster = v.dup_cluster;
    g.dup_kind = v.dup_kind;
  }
  if (v.flagged()) {
    g.reasons = v.reason_names();
    g.verdict_json = v.to_json();
  }
  return g;
}

void IntegrityModel::annotate_terms(const analysis::Analyzer& index_analyzer, const SkuRecord& r, Xapian::Document& doc,
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
