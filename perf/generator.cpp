// Streaming synthetic catalog generator. See generator.h for the contract and perf/README.md for
// the model and its fitted parameters.
//
// Every item i is a pure function of (seed, i): its random stream is Rng(stream_key(seed, 1, i)).
// The first draws decide the abuse kind and the shop, so that a later duplicate listing can find
// an honest original in an abusive shop by recomputing just those draws, and rebuild it whole.
// Shops are pure functions of (seed, shop index); queries are planned before streaming from
// "target items" whose specs are rebuilt the same way, so each query has at least one item that
// matches it fully once the catalog is long enough.
#include "perf/generator.h"

#include <zstd.h>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <set>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <longtail/longtail.h>

#include "perf/random.h"
#include "perf/vocabulary.h"
#include "common/civil_time.h"
#include "common/json_writer.h"

namespace longtail::perf {

const char* abuse_name(Abuse a) {
  switch (a) {
    case Abuse::None: return "none";
    case Abuse::DuplicateListing: return "duplicate_listing";
    case Abuse::BrandStuffing: return "brand_stuffing";
    case Abuse::HotwordStuffing: return "hotword_stuffing";
    case Abuse::CategoryMisrepresentation: return "category_misrepresentation";
    case Abuse::ShippingFeeGame: return "shipping_fee_game";
    case Abuse::Advertisement: return "advertisement";
    case Abuse::ShamSales: return "sham_sales";
  }
  return "none";
}

namespace {

namespace fs = std::filesystem;

// Title length in characters: 21 quantiles (0%, 5%, ..., 100%) of all real titles pooled
// (jd_titles + taobao_items_2021 + tmall_double11_cosmetics_2016, n = 27,349).
constexpr double kTitleLenQuantiles[21] = {2,  28, 30, 32, 34, 36, 38, 41, 44, 47, 49,
                                           52, 54, 57, 59, 62, 64, 67, 71, 76, 103};
constexpr uint32_t kMinTitleChars = 12;  // shorter targets are raised to this
constexpr double kSpaceProb = 0.11;       // a space between two title parts (77% of real titles
                                          // have one, 2.98 space-separated segments on average)
constexpr double kCodeProbExtra = 0.3;   // added to every top's model-code probability
constexpr double kBracketProb = 0.35;    // a marketing word in 【】 (real titles: 4.3% punctuation)
constexpr double kLeafPriceSd = 0.5;     // sd of a leaf's ln-price shift within its top
constexpr uint64_t kDupWindow = 512;      // a duplicate copies an item at most this far back
constexpr uint64_t kDupAnchor = 8;        // ... whose index is a multiple of this (bigger clusters)

constexpr uint64_t kDomItem = 1, kDomShop = 2, kDomQuery = 3, kDomLeafPrice = 4, kDomEstimate = 5;

// ------------------------------------------------------------------------------------------
// Output helpers (no iostreams).

class Writer {
 public:
  Writer() = default;
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer() {
    if (f_) std::fclose(f_);
    ZSTD_freeCStream(cs_);
  }
  // With `zstd`, the bytes are written zstd-compressed (one frame).
  void open(const fs::path& path, bool zstd = false) {
    path_ = path;
    f_ = std::fopen(path.c_str(), "wb");
    if (!f_)
      throw UsageError("gen: cannot write " + path.string() + ": " + std::strerror(errno));
    buf_.reserve(kCap + 4096);
    if (zstd) {
      cs_ = ZSTD_createCStream();
      if (!cs_ || ZSTD_isError(ZSTD_CCtx_setParameter(cs_, ZSTD_c_compressionLevel, 3)))
        throw DataError("gen: cannot set up zstd for " + path.string());
      zbuf_.resize(ZSTD_CStreamOutSize());
    }
  }
  std::string& buf() { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= kCap) flush();
  }
  void flush() { flush_as(ZSTD_e_continue); }
  void close() {
    flush_as(ZSTD_e_end);
    if (f_ && std::fclose(f_) != 0) {
      f_ = nullptr;
      throw DataError("gen: close failed on " + path_.string() + ": " + std::strerror(errno));
    }
    f_ = nullptr;
  }

 private:
  void write(const char* data, size_t n) {
    if (n > 0 && std::fwrite(data, 1, n, f_) != n)
      throw DataError("gen: write failed on " + path_.string() + ": " + std::strerror(errno));
  }
  // Writes the buffer; a zstd stream ends its frame with ZSTD_e_end.
  void flush_as(ZSTD_EndDirective mode) {
    if (!cs_) {
      write(buf_.data(), buf_.size());
      buf_.clear();
      return;
    }
    ZSTD_inBuffer in{buf_.data(), buf_.size(), 0};
    for (;;) {
      ZSTD_outBuffer out{zbuf_.data(), zbuf_.size(), 0};
      const size_t left = ZSTD_compressStream2(cs_, &out, &in, mode);
      if (ZSTD_isError(left)) throw DataError("gen: zstd on " + path_.string() + ": " + ZSTD_getErrorName(left));
      write(zbuf_.data(), out.pos);
      if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size) break;
    }
    buf_.clear();
  }

  static constexpr size_t kCap = 1 << 20;
  std::FILE* f_ = nullptr;
  fs::path path_;
  std::string buf_;
  ZSTD_CStream* cs_ = nullptr;
  std::string zbuf_;
};

// Money and scores: at most two decimals, trailing zeros dropped ("59.9", "120", "0.01").
void put_money(std::string& s, double v) {
  char tmp[48];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v, std::chars_format::fixed, 2);
  char* end = r.ptr;
  while (end > tmp && end[-1] == '0') --end;
  if (end > tmp && end[-1] == '.') --end;
  s.append(tmp, end);
}

int64_t parse_date(const std::string& s, const char* name) {
  const auto days = civil::parse_date(s);
  if (!days || *days < 0 || s.compare("9999-12-31") > 0)
    throw UsageError(std::string("gen: ") + name + " must be a date YYYY-MM-DD from 1970 on, got '" + s + "'");
  return *days;
}

// Marketplace-style price rounding: 5.9, 59.9, 129, 1299.
double nice_price(double p) {
  if (p < 10) return std::max(0.5, std::round(p * 10) / 10);
  if (p < 100) return std::floor(p) + 0.9;
  if (p < 1000) return std::floor(p / 10) * 10 + 9;
  return std::floor(p / 100) * 100 + 99;
}

// ------------------------------------------------------------------------------------------
// The item model.

constexpr int kMaxColours = 12;
constexpr int kMaxStuffed = 8;

struct Item {
  uint64_t index = 0;
  Abuse abuse = Abuse::None;
  uint32_t shop = 0;
  uint16_t top = 0, leaf = 0;                // true category (what the title describes)
  uint16_t listed_top = 0, listed_leaf = 0;  // category written to the catalog
  uint8_t word = 0;                          // product word index in the leaf (0 = generic)
  uint32_t words_mask = 0;                   // leaf words that appear in the title
  int brand = -1;                            // index in top.brands, -1 = unbranded
  int material = -1;
  uint64_t modifier_mask = 0;
  uint8_t colours[kMaxColours] = {};
  int n_colours = 1;
  int size_start = 0, n_sizes = 0;  // run in top.axis2; n_sizes == 0 when the top has no axis2
  double price = 0;                 // base price of the first variant
  double shipping = 0;
  double size_step = 0;             // relative price step per size
  uint64_t sales = 0;               // whole item, 30 days
  int64_t listed_day = 0;
  double reviews_per_sale = 0;      // per month listed
  double good_rate = 1;
  bool variant_suffix = false;      // SKU titles end with their colour and size
  std::string title;
  std::string detail;               // abuse detail for labels.jsonl
  uint64_t cluster = 0;             // duplicates: item index of the original
  std::string_view stuffed[kMaxStuffed];
  int n_stuffed = 0;

  int variants() const { return n_colours * std::max(1, n_sizes); }
};

struct ShopInfo {
  bool abusive = false;
  int main_top = 0;
  int flagship_brand = -1;  // brand index in main_top for single-brand shops
};

struct Query {
  uint32_t qid = 0;
  int cls = 0;  // 0 head, 1 torso, 2 tail
  std::string text;
  std::string_view product, brand, material, colour, size, modifier;
  int n_spec = 0;
  uint32_t lines = 0;
  uint64_t relevant = 0;  // grade >= 1, before the cap
};

const char* kClassNames[3] = {"head", "torso", "tail"};

class Generator {
 public:
  explicit Generator(const GeneratorParams& p) : p_(p), v_(vocabulary()) {
    day_start_ = parse_date(p.date_start, "date_start");
    day_end_ = parse_date(p.date_end, "date_end");
    n_shops_ = std::max<uint64_t>(20, static_cast<uint64_t>(std::ceil(
                                          static_cast<double>(p.skus) / p.skus_per_shop)));
    shop_mul_ = 0x9E3779B1ULL % n_shops_;
    while (std::gcd(shop_mul_, n_shops_) != 1 || shop_mul_ == 0) ++shop_mul_;
    zipf_ = std::make_unique<ZipfSampler>(n_shops_, p.shop_zipf);
    double acc = 0;
    for (int k = 0; k < kAbuseKinds; ++k) abuse_cum_[k] = (acc += p.abuse_rate[k]);
  }

  uint64_t n_shops() const { return n_shops_; }

  ShopInfo shop_info(uint64_t s) const {
    Rng r(stream_key(p_.seed, kDomShop, s));
    ShopInfo info;
    info.abusive = r.chance(p_.abusive_shop_share);
    info.main_top = static_cast<int>(r.below(v_.tops.size()));
    if (r.chance(0.12)) info.flagship_brand = static_cast<int>(r.below(v_.tops[info.main_top].brands.size()));
    return info;
  }

  // First draws of item i: abuse kind and shop.
  void head(Rng& r, Item& it) const {
    double u = r.uniform();
    it.abuse = Abuse::None;
    for (int k = 0; k < kAbuseKinds; ++k)
      if (u < abuse_cum_[k]) {
        it.abuse = static_cast<Abuse>(k + 1);
        break;
      }
    uint64_t rank = zipf_->sample(r);  // 1-based
    uint64_t s = ((rank - 1) % n_shops_) * shop_mul_ % n_shops_;
    if (it.abuse != Abuse::None && it.abuse != Abuse::DuplicateListing && p_.abusive_shop_share > 0) {
      for (uint64_t step = 0; step < std::min<uint64_t>(n_shops_, 4096); ++step) {
        uint64_t c = (s + step) % n_shops_;
        if (shop_info(c).abusive) {
          s = c;
          break;
        }
      }
    }
    it.shop = static_cast<uint32_t>(s);
  }

  // it.n_colours distinct values of the first variant axis. REQUIRES: n_colours <= axis1 size.
  static void pick_colours(Rng& r, const TopCategory& top, Item& it) {
    uint64_t used = 0;
    for (int k = 0; k < it.n_colours; ++k) {
      uint32_t c;
      do c = r.below(top.axis1.size());
      while (used >> c & 1);
      used |= 1ULL << c;
      it.colours[k] = static_cast<uint8_t>(c);
    }
  }

  // Honest content of an item (after head()).
  void body(Rng& r, Item& it) const {
    ShopInfo shop = shop_info(it.shop);
    it.top = static_cast<uint16_t>(r.chance(0.85) ? shop.main_top : r.below(v_.tops.size()));
    const TopCategory& top = v_.tops[it.top];
    // Within a top, earlier leaves are more popular (skewed towards index 0).
    it.leaf = static_cast<uint16_t>(std::min<size_t>(
        top.leaves.size() - 1, static_cast<size_t>(std::pow(r.uniform(), 1.6) * top.leaves.size())));
    it.listed_top = it.top;
    it.listed_leaf = it.leaf;
    const Leaf& leaf = top.leaves[it.leaf];
    it.word = (leaf.words.size() > 1 && r.chance(0.6))
                  ? static_cast<uint8_t>(1 + r.below(leaf.words.size() - 1))
                  : 0;
    if (it.top == shop.main_top && shop.flagship_brand >= 0)
      it.brand = shop.flagship_brand;
    else if (r.chance(0.7))
      it.brand = static_cast<int>(std::pow(r.uniform(), 1.8) * top.brands.size());
    else
      it.brand = -1;
    it.material = (!top.materials.empty() && r.chance(0.6)) ? static_cast<int>(r.below(top.materials.size())) : -1;

    // Variants.
    bool single = r.chance(p_.single_sku_share);
    int nc = single ? 1 : 1 + static_cast<int>(r.geometric(0.45, kMaxColours - 1));
    nc = std::min<int>(nc, static_cast<int>(top.axis1.size()));
    it.n_colours = nc;
    pick_colours(r, top, it);
    if (top.axis2.empty()) {
      it.n_sizes = 0;
      it.size_start = 0;
    } else {
      int ns = single ? 1 : 1 + static_cast<int>(r.geometric(0.3, static_cast<uint32_t>(top.axis2.size()) - 1));
      ns = std::min<int>(ns, static_cast<int>(top.axis2.size()));
      while (ns > 1 && nc * ns > static_cast<int>(p_.max_variants)) --ns;
      it.n_sizes = ns;
      it.size_start = static_cast<int>(r.below(top.axis2.size() - ns + 1));
    }
    while (it.variants() > static_cast<int>(p_.max_variants) && it.n_colours > 1) --it.n_colours;

    // Price: log-normal of the top's price group, shifted per leaf.
    const PriceGroup& g = v_.price_groups[top.price_group];
    Rng leaf_rng(stream_key(p_.seed, kDomLeafPrice, it.top * 256 + it.leaf));
    // Leaf shift (sd 0.5) plus item noise together keep the fitted total sd g.sigma.
    double leaf_shift = kLeafPriceSd * leaf_rng.normal();
    double item_sd = std::sqrt(std::max(0.01, g.sigma * g.sigma - kLeafPriceSd * kLeafPriceSd));
    double price = std::exp(g.mu + leaf_shift + item_sd * r.normal());
    it.price = nice_price(std::clamp(price, 1.0, 500000.0));
    it.size_step = r.chance(0.5) ? 0.0 : 0.05 + 0.15 * r.uniform();
    it.shipping = (top.price_group == 9 || r.chance(0.8)) ? 0.0 : static_cast<double>(5 + r.below(16));

    // Popularity, reviews, age.
    if (r.chance(p_.zero_sale_share)) {
      it.sales = 0;
      r.next();
    } else {
      double x = std::pow(1.0 - r.uniform(), -1.0 / (p_.sales_alpha - 1.0));
      it.sales = static_cast<uint64_t>(std::min<double>(p_.sales_cap, std::floor(x)));
    }
    it.reviews_per_sale = p_.reviews_per_sale * std::exp(0.8 * r.normal());
    double bad = r.uniform();
    it.good_rate = 1.0 - 0.2 * bad * bad * bad;
    int64_t span = day_end_ - day_start_;
    it.listed_day = day_end_ - static_cast<int64_t>(std::pow(r.uniform(), 1.7) * static_cast<double>(span));
    it.variant_suffix = it.variants() > 1 && r.chance(0.3);

    build_title(r, it);
  }

  void build_title(Rng& r, Item& it) const {
    const TopCategory& top = v_.tops[it.top];
    const Leaf& leaf = top.leaves[it.leaf];
    double q = r.uniform() * 20.0;
    int qi = std::min(19, static_cast<int>(q));
    double target = kTitleLenQuantiles[qi] + (q - qi) * (kTitleLenQuantiles[qi + 1] - kTitleLenQuantiles[qi]);
    size_t target_chars = std::max<size_t>(kMinTitleChars, static_cast<size_t>(target));

    std::string_view front[4];
    int nf = 0;
    std::string_view mid[12];
    int nm = 0;
    std::string_view back[6];
    int nb = 0;
    std::string brand_form;
    if (it.brand >= 0) {
      const Brand& b = top.brands[it.brand];
      double u = r.uniform();
      if (!b.latin.empty() && b.latin != b.name) {
        if (u < 0.4) brand_form.append(b.latin).append("/").append(b.name);
        else if (u < 0.75) brand_form.assign(b.name);
        else brand_form.assign(b.latin);
      } else {
        brand_form.assign(b.name);
      }
    }
    // Honest titles never repeat a word: marketing words are drawn without replacement too.
    uint64_t marketing_mask = 0;
    auto marketing = [&]() -> std::string_view {
      uint32_t m = r.below(v_.marketing.size());
      if (marketing_mask >> m & 1) return {};
      marketing_mask |= 1ULL << m;
      return v_.marketing[m];
    };
    std::string bracket;
    if (r.chance(kBracketProb)) {
      bracket.append("【").append(marketing()).append("】");
      front[nf++] = bracket;
    } else if (r.chance(0.5)) {
      front[nf++] = marketing();
    }
    it.modifier_mask = 0;
    int n_mod = 1 + static_cast<int>(r.below(3));
    for (int k = 0; k < n_mod && nm < 10; ++k) {
      uint32_t m = r.below(top.modifiers.size());
      if (it.modifier_mask >> m & 1) continue;
      it.modifier_mask |= 1ULL << m;
      mid[nm++] = top.modifiers[m];
    }
    if (it.material >= 0 && r.chance(0.8)) mid[nm++] = top.materials[it.material];
    for (int k = nm - 1; k > 0; --k) std::swap(mid[k], mid[r.below(k + 1)]);
    it.words_mask = 1u << it.word;
    back[nb++] = leaf.words[it.word];
    if (it.word != 0 && r.chance(0.8)) {
      back[nb++] = leaf.words[0];
      it.words_mask |= 1u;
    }
    char code[16];
    int code_len = 0;
    if (r.chance(std::min(1.0, top.code_prob + kCodeProbExtra))) {
      static const char* letters = "ABCDEFGHJKLMNPRSTVXYZ";
      code[code_len++] = letters[r.below(21)];
      if (r.chance(0.4)) code[code_len++] = letters[r.below(21)];
      int digits = 2 + static_cast<int>(r.below(4));
      for (int k = 0; k < digits; ++k) code[code_len++] = static_cast<char>('0' + r.below(10));
    }
    if (it.n_sizes >= 1 && r.chance(0.6)) back[nb++] = top.axis2[it.size_start];

    std::string& t = it.title;
    t.clear();
    size_t chars = 0;
    auto add = [&](std::string_view w) {
      if (!t.empty()) {
        if (r.chance(kSpaceProb)) {
          t.push_back(' ');
          ++chars;
        }
      }
      t.append(w);
      chars += utf8::count(w);
    };
    if (!brand_form.empty()) add(brand_form);
    for (int k = 0; k < nf; ++k) add(front[k]);
    for (int k = 0; k < nm; ++k) add(mid[k]);
    for (int k = 0; k < nb; ++k) add(back[k]);
    if (code_len) add(std::string_view(code, code_len));
    // Fill to the target length with more modifiers, marketing words and synonyms of the leaf.
    for (int tries = 0; chars < target_chars && tries < 24; ++tries) {
      uint32_t kind = r.below(10);
      if (kind < 6) {
        uint32_t m = r.below(top.modifiers.size());
        if ((it.modifier_mask >> m & 1) || t.find(top.modifiers[m]) != std::string::npos) continue;
        it.modifier_mask |= 1ULL << m;
        add(top.modifiers[m]);
      } else if (kind < 8) {
        std::string_view w = marketing();
        if (!w.empty() && t.find(w) == std::string::npos) add(w);
      } else {
        uint32_t w = r.below(leaf.words.size());
        if (it.words_mask >> w & 1) continue;
        it.words_mask |= 1u << w;
        add(leaf.words[w]);
      }
    }
  }

  // Same-shop re-listing: an honest item a little earlier, in an abusive shop when one is near.
  bool find_original(uint64_t i, Rng& r, uint64_t& original) const {
    if (i < kDupAnchor) return false;
    bool found = false;
    for (int tries = 0; tries < 16; ++tries) {
      uint64_t back = 1 + r.below64(std::min<uint64_t>(i, kDupWindow));
      uint64_t j = (i - back) / kDupAnchor * kDupAnchor;
      Item h;
      Rng rj(stream_key(p_.seed, kDomItem, j));
      head(rj, h);
      if (h.abuse != Abuse::None) continue;
      if (!found) {
        original = j;
        found = true;
      }
      if (shop_info(h.shop).abusive) {
        original = j;
        return true;
      }
    }
    return found;
  }

  void make_item(uint64_t i, Item& it) const {
    Rng r(stream_key(p_.seed, kDomItem, i));
    head(r, it);
    it.index = i;
    it.detail.clear();
    it.n_stuffed = 0;
    if (it.abuse == Abuse::DuplicateListing) {
      uint64_t j = 0;
      if (find_original(i, r, j)) {
        Rng rj(stream_key(p_.seed, kDomItem, j));
        head(rj, it);
        body(rj, it);
        it.abuse = Abuse::DuplicateListing;
        it.index = i;
        mutate_duplicate(r, it, j);
        return;
      }
      it.abuse = Abuse::None;
    }
    body(r, it);
    inject(r, it);
  }

  void mutate_duplicate(Rng& r, Item& it, uint64_t j) const {
    const TopCategory& top = v_.tops[it.top];
    it.cluster = j;
    std::string changes;
    // New colour set (keeps the count), maybe a shifted size run, swapped words, a promo word.
    if (top.axis1.size() > static_cast<size_t>(it.n_colours)) {
      pick_colours(r, top, it);
      changes += "colours";
    }
    if (it.n_sizes > 0 && static_cast<size_t>(it.n_sizes) < top.axis2.size() && r.chance(0.5)) {
      it.size_start = static_cast<int>(r.below(top.axis2.size() - it.n_sizes + 1));
      changes += changes.empty() ? "sizes" : ",sizes";
    }
    // Re-spell the title: drop one modifier, add another and a promotional word.
    std::string old = it.title;
    std::string_view promo[] = {"新款", "特价", "清仓", "热卖", "爆款", "限时", "现货"};
    uint32_t m = r.below(top.modifiers.size());
    std::string_view add_mod = top.modifiers[m];
    std::string t;
    bool dropped = false;
    for (int k = 0; k < 64 && !dropped; ++k) {
      if (!(it.modifier_mask >> k & 1)) continue;
      std::string_view w = top.modifiers[k];
      size_t pos = old.find(w);
      if (pos != std::string::npos) {
        old.erase(pos, w.size());
        it.modifier_mask &= ~(1ULL << k);
        dropped = true;
      }
    }
    it.modifier_mask |= 1ULL << m;
    t.append(promo[r.below(7)]);
    t.append(old);
    t.push_back(' ');
    t.append(add_mod);
    it.title = std::move(t);
    changes += changes.empty() ? "title words" : ",title words";
    it.price = nice_price(it.price * (0.9 + 0.15 * r.uniform()));
    it.listed_day = std::min(day_end_, it.listed_day + 1 + static_cast<int64_t>(r.below(300)));
    it.sales = r.chance(0.7) ? 0 : r.below(20);
    it.detail = "same-shop re-listing of item i" + std::to_string(j) + " (changed " + changes + ")";
  }

  void inject(Rng& r, Item& it) const {
    const TopCategory& top = v_.tops[it.top];
    switch (it.abuse) {
      case Abuse::None:
      case Abuse::DuplicateListing:
        return;
      case Abuse::BrandStuffing: {
        int n = 2 + static_cast<int>(r.below(2));
        std::string ins, names;
        uint64_t used = it.brand >= 0 ? 1ULL << it.brand : 0;
        for (int k = 0, tries = 0; k < n && tries < 32; ++tries) {
          uint32_t b = r.below(top.brands.size());
          if (used >> b & 1) continue;
          used |= 1ULL << b;
          const Brand& br = top.brands[b];
          ins.append(!br.latin.empty() && r.chance(0.5) ? br.latin : br.name);
          ins.push_back(' ');
          names += (names.empty() ? "" : ",") + std::string(br.name);
          if (it.n_stuffed < kMaxStuffed) it.stuffed[it.n_stuffed++] = br.name;
          ++k;
        }
        // Stuffed names go in front (a "同款" claim) or pile up at the end.
        if (r.chance(0.5)) {
          it.title.insert(0, ins.append(r.chance(0.5) ? "同款 " : ""));
        } else {
          ins.pop_back();
          it.title.append(" ").append(ins);
        }
        it.detail = "title names other brands: " + names;
        return;
      }
      case Abuse::HotwordStuffing: {
        int n = 4 + static_cast<int>(r.below(4));
        std::string names;
        for (int k = 0, tries = 0; k < n && tries < 40; ++tries) {
          std::string_view w = v_.hot_words[r.below(v_.hot_words.size())];
          bool own = false;
          for (const Leaf& l : top.leaves)
            for (std::string_view lw : l.words) own |= lw == w;
          for (int s = 0; s < it.n_stuffed; ++s) own |= it.stuffed[s] == w;
          if (own) continue;
          it.title.push_back(' ');
          it.title.append(w);
          names += (names.empty() ? "" : ",") + std::string(w);
          it.stuffed[it.n_stuffed++] = w;
          ++k;
        }
        // ... and the product word repeated.
        it.title.push_back(' ');
        it.title.append(top.leaves[it.leaf].words[it.word]);
        it.detail = "unrelated hot words: " + names;
        return;
      }
      case Abuse::CategoryMisrepresentation: {
        uint32_t t2 = r.below(v_.tops.size() - 1);
        if (t2 >= it.top) ++t2;
        it.listed_top = static_cast<uint16_t>(t2);
        it.listed_leaf = static_cast<uint16_t>(r.below(v_.tops[t2].leaves.size()));
        it.detail = "title is " + std::string(top.name) + "/" + std::string(top.leaves[it.leaf].name) +
                    ", listed under " + std::string(v_.tops[t2].name) + "/" +
                    std::string(v_.tops[t2].leaves[it.listed_leaf].name);
        return;
      }
      case Abuse::ShippingFeeGame: {
        static const double kLow[] = {0.01, 0.1, 0.5, 0.99, 1, 1.99};
        double real = std::max(it.price, 30.0);
        it.price = kLow[r.below(6)];
        it.size_step = 0;
        it.shipping = std::round(std::max(50.0, real * (0.8 + 0.4 * r.uniform())));
        std::string d;
        put_money(d, it.price);
        d += " price, ";
        put_money(d, it.shipping);
        d += " shipping fee";
        it.detail = d;
        return;
      }
      case Abuse::Advertisement: {
        std::string contact;
        uint32_t kind = r.below(4);
        static const char* alnum = "abcdefghjkmnpqrstuvwxyz0123456789";
        if (kind == 0) {  // mobile number
          contact = "1";
          contact.push_back("3456789"[r.below(7)]);
          for (int k = 0; k < 9; ++k) contact.push_back(static_cast<char>('0' + r.below(10)));
        } else if (kind == 1) {  // WeChat id
          contact = "wx";
          for (int k = 0; k < 6 + static_cast<int>(r.below(4)); ++k) contact.push_back(alnum[r.below(33)]);
        } else if (kind == 2) {  // QQ number
          contact.push_back(static_cast<char>('1' + r.below(9)));
          for (int k = 0; k < 7 + static_cast<int>(r.below(3)); ++k) contact.push_back(static_cast<char>('0' + r.below(10)));
        } else {  // URL
          contact = "www.";
          for (int k = 0; k < 5 + static_cast<int>(r.below(5)); ++k) contact.push_back(alnum[r.below(23)]);
          contact += r.chance(0.5) ? ".com" : ".cn";
        }
        std::string_view lead = kind == 2 ? std::string_view("QQ")
                                : kind == 3 ? std::string_view("官网")
                                            : v_.ad_phrases[r.below(v_.ad_phrases.size())];
        it.title.append(" ").append(lead).append(r.chance(0.5) ? ":" : "").append(contact);
        it.detail = "contact in title: " + std::string(lead) + " " + contact;
        return;
      }
      case Abuse::ShamSales: {
        it.sales = static_cast<uint64_t>(std::exp(std::log(3000.0) + r.uniform() * std::log(15.0)));
        it.reviews_per_sale = 0;
        it.listed_day = std::max(day_start_, day_end_ - static_cast<int64_t>(r.below(90)));
        it.detail = "sales_30d " + std::to_string(it.sales) + " with at most 3 reviews";
        return;
      }
    }
  }

  // ----------------------------------------------------------------------------------------
  // Queries.

  double estimate_variants() const {
    Item it;
    double sum = 0;
    const int n = 2000;
    for (int k = 0; k < n; ++k) {
      Rng r(stream_key(p_.seed, kDomEstimate, k));
      make_item(r.below64(1ULL << 40), it);
      sum += it.variants();
    }
    return sum / n;
  }

  std::vector<Query> plan_queries() const {
    std::vector<Query> out;
    if (p_.queries == 0) return out;
    double mean_variants = estimate_variants();
    uint64_t items_est = std::max<uint64_t>(1, static_cast<uint64_t>(static_cast<double>(p_.skus) / mean_variants));
    uint64_t target_range = std::max<uint64_t>(1, items_est * 8 / 10);
    uint32_t n_head = static_cast<uint32_t>(std::lround(p_.queries * p_.head_share));
    uint32_t n_torso = static_cast<uint32_t>(std::lround(p_.queries * p_.torso_share));
    n_head = std::min(n_head, p_.queries);
    n_torso = std::min(n_torso, p_.queries - n_head);
    std::set<std::string> seen;
    Item it;
    for (uint32_t q = 0; q < p_.queries; ++q) {
      int cls = q < n_head ? 0 : q < n_head + n_torso ? 1 : 2;
      Rng r(stream_key(p_.seed, kDomQuery, q));
      for (int attempt = 0; attempt < 20; ++attempt) {
        uint64_t t = r.below64(target_range);
        make_item(t, it);
        if (it.abuse != Abuse::None) continue;
        Query qu = query_from(r, it, cls);
        if (!seen.insert(qu.text).second) continue;
        qu.qid = static_cast<uint32_t>(out.size() + 1);
        out.push_back(std::move(qu));
        break;
      }
    }
    return out;
  }

  Query query_from(Rng& r, const Item& it, int cls) const {
    const TopCategory& top = v_.tops[it.top];
    const Leaf& leaf = top.leaves[it.leaf];
    Query q;
    q.cls = cls;
    q.product = cls == 0 ? leaf.words[0] : leaf.words[it.word];
    // Candidate specifics: 0 brand, 1 material, 2 colour, 3 size, 4 modifier.
    bool avail[5] = {it.brand >= 0, it.material >= 0, true, it.n_sizes > 0, it.modifier_mask != 0};
    int want = cls == 0 ? (r.chance(0.35) ? 1 : 0) : cls == 1 ? 1 + static_cast<int>(r.below(2)) : 3 + static_cast<int>(r.below(2));
    bool pick[5] = {};
    if (cls == 0) {
      // Head: at most a colour or a modifier.
      if (want) pick[r.chance(0.5) ? 2 : (avail[4] ? 4 : 2)] = true;
    } else {
      if (cls == 2 && avail[0]) {
        pick[0] = true;
        --want;
      }
      for (int tries = 0; want > 0 && tries < 40; ++tries) {
        int k = static_cast<int>(r.below(5));
        if (avail[k] && !pick[k]) {
          pick[k] = true;
          --want;
        }
      }
    }
    std::string brand_text;
    if (pick[0]) {
      const Brand& b = top.brands[it.brand];
      q.brand = b.name;
      double u = r.uniform();
      if (!b.latin.empty() && u < 0.4) {
        brand_text.assign(b.latin);
        if (u < 0.25)
          for (char& c : brand_text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      } else {
        brand_text.assign(b.name);
      }
    }
    if (pick[1]) q.material = top.materials[it.material];
    if (pick[2]) q.colour = top.axis1[it.colours[r.below(it.n_colours)]];
    if (pick[3]) q.size = top.axis2[it.size_start + r.below(it.n_sizes)];
    if (pick[4]) {
      std::vector<int> mods;
      for (int k = 0; k < 64; ++k)
        if (it.modifier_mask >> k & 1) mods.push_back(k);
      q.modifier = top.modifiers[mods[r.below(mods.size())]];
    }
    for (bool b : pick) q.n_spec += b;
    // Word order: brand, modifier, material, colour, product, size; an adjacent swap sometimes.
    std::vector<std::string_view> parts;
    if (!brand_text.empty()) parts.push_back(brand_text);
    if (pick[4]) parts.push_back(q.modifier);
    if (pick[1]) parts.push_back(q.material);
    if (pick[2]) parts.push_back(q.colour);
    parts.push_back(q.product);
    if (pick[3]) parts.push_back(q.size);
    if (parts.size() > 2 && r.chance(0.3)) {
      size_t k = r.below(parts.size() - 1);
      std::swap(parts[k], parts[k + 1]);
    }
    bool spaces = r.chance(0.5);
    for (size_t k = 0; k < parts.size(); ++k) {
      if (k && spaces) q.text.push_back(' ');
      q.text.append(parts[k]);
    }
    return q;
  }

  // Graded relevance of an item for a query whose product word it matches.
  static int grade(const Query& q, const Item& it, const TopCategory& top) {
    if (q.n_spec == 0) return 3;
    int k = 0;
    if (!q.brand.empty() && it.brand >= 0 && top.brands[it.brand].name == q.brand) ++k;
    if (!q.material.empty() && it.material >= 0 && top.materials[it.material] == q.material) ++k;
    if (!q.colour.empty())
      for (int c = 0; c < it.n_colours; ++c)
        if (top.axis1[it.colours[c]] == q.colour) {
          ++k;
          break;
        }
    if (!q.size.empty())
      for (int s = 0; s < it.n_sizes; ++s)
        if (top.axis2[it.size_start + s] == q.size) {
          ++k;
          break;
        }
    if (!q.modifier.empty())
      for (int m = 0; m < 64; ++m)
        if ((it.modifier_mask >> m & 1) && top.modifiers[m] == q.modifier) {
          ++k;
          break;
        }
    if (k == q.n_spec) return 3;
    if (2 * k >= q.n_spec) return 2;
    return 1;
  }

  // ----------------------------------------------------------------------------------------

  GeneratorSummary run(const fs::path& dir, std::FILE* progress, bool zstd_catalog);

 private:
  void write_item(const Item& it, uint64_t n_skus, Writer& cat, Writer& lab, GeneratorSummary& sum);
  void judge_item(const Item& it, Writer& qrels, GeneratorSummary& sum);
  void write_shops(Writer& w);

  const GeneratorParams& p_;
  const Vocabulary& v_;
  int64_t day_start_ = 0, day_end_ = 0;
  uint64_t n_shops_ = 0, shop_mul_ = 1;
  std::unique_ptr<ZipfSampler> zipf_;
  double abuse_cum_[kAbuseKinds] = {};
  uint64_t sku_counter_ = 0;
  std::vector<Query> queries_;
  std::unordered_map<std::string_view, std::vector<uint32_t>> by_product_;  // word -> query idx
};

void Generator::write_item(const Item& it, uint64_t n_skus, Writer& cat, Writer& lab, GeneratorSummary& sum) {
  const TopCategory& top = v_.tops[it.top];
  const TopCategory& ltop = v_.tops[it.listed_top];
  // Sales split over variants with weights 1/(k+1); reviews accumulate with months listed.
  double wsum = 0;
  for (uint64_t k = 0; k < n_skus; ++k) wsum += 1.0 / static_cast<double>(k + 1);
  double months = std::min<double>(24.0, static_cast<double>(day_end_ - it.listed_day) / 30.0 + 1.0);
  std::string title_json, item_prefix;
  json::append_string(title_json, it.title);
  std::string item_id = "i" + std::to_string(it.index);
  std::string shop_id = "sh" + std::to_string(it.shop);
  uint64_t sales_left = it.sales;
  int sizes = std::max(1, it.n_sizes);
  for (uint64_t k = 0; k < n_skus; ++k) {
    int c = static_cast<int>(k) / sizes, s = static_cast<int>(k) % sizes;
    std::string& b = cat.buf();
    std::string sku_id = "s" + std::to_string(sku_counter_++);
    b.append("{\"sku_id\":\"").append(sku_id).append("\",\"item_id\":\"").append(item_id);
    b.append("\",\"shop_id\":\"").append(shop_id).append("\",\"title\":");
    std::string_view colour = top.axis1[it.colours[c]];
    std::string_view size = it.n_sizes ? top.axis2[it.size_start + s] : std::string_view();
    if (it.variant_suffix) {
      b.append(title_json, 0, title_json.size() - 1);
      b.push_back(' ');
      b.append(colour);
      if (!size.empty()) b.push_back(' '), b.append(size);
      b.push_back('"');
    } else {
      b.append(title_json);
    }
    b.append(",\"category\":\"").append(ltop.name).push_back('/');
    b.append(ltop.leaves[it.listed_leaf].name).append("\"");
    if (it.brand >= 0) b.append(",\"brand\":\"").append(top.brands[it.brand].name).push_back('"');
    b.append(",\"attrs\":{\"").append(top.axis1_key).append("\":\"").append(colour).push_back('"');
    if (!size.empty()) b.append(",\"").append(top.axis2_key).append("\":\"").append(size).push_back('"');
    if (it.material >= 0)
      b.append(",\"").append(top.material_key).append("\":\"").append(top.materials[it.material]).push_back('"');
    b.append("},\"price\":");
    put_money(b, s == 0 || it.size_step == 0 ? it.price : nice_price(it.price * (1.0 + it.size_step * s)));
    b.append(",\"shipping_fee\":");
    put_money(b, it.shipping);
    uint64_t sales = k + 1 == n_skus ? sales_left
                                     : static_cast<uint64_t>(static_cast<double>(it.sales) / (static_cast<double>(k + 1) * wsum));
    sales = std::min(sales, sales_left);
    sales_left -= sales;
    uint64_t reviews;
    if (it.abuse == Abuse::ShamSales)
      reviews = k == 0 ? it.index % 4 : 0;
    else
      reviews = static_cast<uint64_t>(std::llround(static_cast<double>(sales) * months * it.reviews_per_sale));
    uint64_t good = static_cast<uint64_t>(std::llround(static_cast<double>(reviews) * it.good_rate));
    b.append(",\"sales_30d\":");
    json::append_number(b, sales);
    b.append(",\"reviews\":");
    json::append_number(b, reviews);
    b.append(",\"good_reviews\":");
    json::append_number(b, good);
    b.append(",\"listed_at\":\"");
    civil::append_date(b, it.listed_day);
    b.append("\"}\n");
    cat.maybe_flush();

    if (it.abuse != Abuse::None) {
      std::string& l = lab.buf();
      l.append("{\"sku_id\":\"").append(sku_id).append("\",\"item_id\":\"").append(item_id);
      l.append("\",\"shop_id\":\"").append(shop_id).append("\",\"abuse\":\"").append(abuse_name(it.abuse));
      l.append("\",\"detail\":");
      json::append_string(l, it.detail);
      if (it.abuse == Abuse::DuplicateListing) l.append(",\"cluster\":\"i").append(std::to_string(it.cluster)).push_back('"');
      l.append("}\n");
      lab.maybe_flush();
      ++sum.abusive_skus[static_cast<int>(it.abuse) - 1];
    }
  }
  if (it.abuse != Abuse::None) ++sum.abusive_items[static_cast<int>(it.abuse) - 1];
}

void Generator::judge_item(const Item& it, Writer& qrels, GeneratorSummary& sum) {
  if (by_product_.empty()) return;
  const TopCategory& top = v_.tops[it.top];
  const Leaf& leaf = top.leaves[it.leaf];
  auto emit = [&](Query& q, int g) {
    if (g > 0) ++q.relevant;
    if (p_.qrels_cap && q.lines >= p_.qrels_cap) return;
    ++q.lines;
    std::string& b = qrels.buf();
    json::append_number(b, q.qid);
    b.append(" 0 i");
    json::append_number(b, it.index);
    b.push_back(' ');
    b.push_back(static_cast<char>('0' + g));
    b.push_back('\n');
    ++sum.qrels;
  };
  uint32_t matched[16];
  int n_matched = 0;
  for (size_t w = 0; w < leaf.words.size() && w < 32; ++w) {
    if (!(w == 0 || (it.words_mask >> w & 1))) continue;
    auto found = by_product_.find(leaf.words[w]);
    if (found == by_product_.end()) continue;
    for (uint32_t qi : found->second) {
      Query& q = queries_[qi];
      // The generic word matches every item of the leaf; a specific word only items whose title
      // names it (words_mask).
      emit(q, grade(q, it, top));
      if (n_matched < 16) matched[n_matched++] = qi;
    }
  }
  // Judged non-relevant: abusers that lexically target a query they do not satisfy.
  auto judge_zero = [&](std::string_view word) {
    auto found = by_product_.find(word);
    if (found == by_product_.end()) return;
    for (uint32_t qi : found->second) {
      if (std::find(matched, matched + n_matched, qi) != matched + n_matched) continue;
      emit(queries_[qi], 0);
      if (n_matched < 16) matched[n_matched++] = qi;
    }
  };
  if (it.abuse == Abuse::HotwordStuffing)
    for (int s = 0; s < it.n_stuffed; ++s) judge_zero(it.stuffed[s]);
  if (it.abuse == Abuse::CategoryMisrepresentation)
    judge_zero(v_.tops[it.listed_top].leaves[it.listed_leaf].name);
  qrels.maybe_flush();
}

void Generator::write_shops(Writer& w) {
  // Expected share of items for a Zipf rank, to scale rating counts with shop size.
  double hsum = 0;
  for (uint64_t k = 1; k <= n_shops_; ++k) hsum += std::pow(static_cast<double>(k), -p_.shop_zipf);
  // Inverse of the rank permutation s = (rank-1) * mul mod n.
  int64_t a = static_cast<int64_t>(shop_mul_), m = static_cast<int64_t>(n_shops_), x0 = 0, x1 = 1;
  int64_t aa = a, mm = m;
  while (aa > 1 && mm) {
    int64_t qd = aa / mm, t = mm;
    mm = aa % mm;
    aa = t;
    t = x0;
    x0 = x1 - qd * x0;
    x1 = t;
  }
  uint64_t inv = static_cast<uint64_t>(((x1 % m) + m) % m);
  if (n_shops_ == 1) inv = 0;
  double items_est = static_cast<double>(p_.skus) / 4.0;
  for (uint64_t s = 0; s < n_shops_; ++s) {
    ShopInfo info = shop_info(s);
    Rng r(stream_key(p_.seed, kDomShop, s) ^ 0x5bd1e995ULL);
    uint64_t rank = static_cast<uint64_t>((static_cast<unsigned __int128>(s) * inv) % n_shops_) + 1;
    double items = items_est * std::pow(static_cast<double>(rank), -p_.shop_zipf) / hsum;
    const TopCategory& top = v_.tops[info.main_top];
    std::string& b = w.buf();
    b.append("{\"shop_id\":\"sh");
    json::append_number(b, s);
    b.append("\",\"name\":\"");
    if (info.flagship_brand >= 0) {
      b.append(top.brands[info.flagship_brand].name).append(r.chance(0.6) ? "官方旗舰店" : "旗舰店");
    } else {
      b.append(v_.shop_prefix[r.below(v_.shop_prefix.size())]).append(top.shop_word);
      b.append(v_.shop_suffix[r.below(v_.shop_suffix.size())]);
    }
    double base = info.abusive ? 4.45 + 0.15 * r.normal() : 4.78 + 0.08 * r.normal();
    uint64_t ratings = static_cast<uint64_t>(std::max(0.0, items * 6.0 * std::exp(r.normal())));
    double noise = ratings < 30 ? 0.25 : 0.05;
    const char* dims[4] = {"description", "service", "shipping", "delivery"};
    b.append("\",\"dsr\":{");
    for (int d = 0; d < 4; ++d) {
      double v = ratings == 0 ? 5.0 : std::clamp(base + noise * r.normal(), 1.0, 5.0);
      if (d) b.push_back(',');
      b.append("\"").append(dims[d]).append("\":");
      put_money(b, std::round(v * 100) / 100);
    }
    b.append("},\"ratings_6m\":");
    json::append_number(b, ratings);
    b.append(",\"violations\":");
    json::append_number(b, info.abusive ? 1 + r.geometric(0.15, 40) : r.geometric(0.85, 10));
    if (info.abusive && r.chance(p_.blocked_share)) b.append(",\"blocked\":true");
    b.append("}\n");
    w.maybe_flush();
  }
}

GeneratorSummary Generator::run(const fs::path& dir, std::FILE* progress, bool zstd_catalog) {
  auto t0 = std::chrono::steady_clock::now();
  GeneratorSummary sum;
  Writer cat, lab, qrels, shops;
  const std::string catalog_name = zstd_catalog ? "catalog.jsonl.zst" : "catalog.jsonl";
  cat.open(dir / (catalog_name + ".tmp"), zstd_catalog);
  lab.open(dir / "labels.jsonl.tmp");
  qrels.open(dir / "qrels.tsv.tmp");
  shops.open(dir / "shops.jsonl.tmp");

  queries_ = plan_queries();
  for (uint32_t k = 0; k < queries_.size(); ++k) by_product_[queries_[k].product].push_back(k);

  Item it;
  uint64_t i = 0, written = 0, next_report = 1000000;
  while (written < p_.skus) {
    make_item(i, it);
    uint64_t n = std::min<uint64_t>(static_cast<uint64_t>(it.variants()), p_.skus - written);
    write_item(it, n, cat, lab, sum);
    judge_item(it, qrels, sum);
    written += n;
    ++i;
    if (progress && written >= next_report) {
      double el = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(progress, "gen: %llu SKUs, %.0f SKUs/s\n", static_cast<unsigned long long>(written),
                   static_cast<double>(written) / std::max(el, 1e-9));
      next_report += 1000000;
    }
  }
  sum.skus = written;
  sum.items = i;
  sum.shops = n_shops_;
  write_shops(shops);
  cat.close();
  lab.close();
  qrels.close();
  shops.close();

  // Queries with no relevant item (their targets lie beyond a short catalog) are dropped, and
  // so are their grade-0 qrels lines.
  std::vector<bool> keep(queries_.size() + 1, true);
  Writer qw;
  qw.open(dir / "queries.tsv.tmp");
  for (const Query& q : queries_) {
    if (q.relevant == 0) {
      keep[q.qid] = false;
      ++sum.queries_dropped;
      continue;
    }
    ++sum.queries[q.cls];
    std::string& b = qw.buf();
    json::append_number(b, q.qid);
    b.append("\t").append(q.text).append("\t").append(kClassNames[q.cls]).push_back('\n');
  }
  qw.close();
  if (sum.queries_dropped) {
    std::FILE* in = std::fopen((dir / "qrels.tsv.tmp").c_str(), "rb");
    if (!in) throw DataError("gen: cannot reread qrels.tsv.tmp");
    Writer out;
    out.open(dir / "qrels.tsv.tmp2");
    char line[128];
    sum.qrels = 0;
    while (std::fgets(line, sizeof line, in)) {
      if (!keep[std::strtoul(line, nullptr, 10)]) continue;
      out.buf().append(line);
      out.maybe_flush();
      ++sum.qrels;
    }
    std::fclose(in);
    out.close();
    fs::rename(dir / "qrels.tsv.tmp2", dir / "qrels.tsv.tmp");
  }
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  Writer pw;
  pw.open(dir / "params.json.tmp");
  pw.buf().append("{\"params\":").append(params_json(p_)).append(",\"result\":").append(summary_json(sum, false)).append("}\n");
  pw.close();
  for (const std::string name : {catalog_name, std::string("shops.jsonl"), std::string("labels.jsonl"),
                                  std::string("queries.tsv"), std::string("qrels.tsv"), std::string("params.json")})
    fs::rename(dir / (name + ".tmp"), dir / name);
  // A catalog of the other form left by an earlier run would be taken for this one's.
  std::error_code ec;
  fs::remove(dir / (zstd_catalog ? "catalog.jsonl" : "catalog.jsonl.zst"), ec);
  return sum;
}


}  // namespace

void validate(const GeneratorParams& p) {
  auto bad = [](const std::string& what) { throw UsageError("gen: " + what); };
  if (p.skus < 1) bad("--skus must be at least 1");
  if (p.head_share < 0 || p.torso_share < 0 || p.head_share + p.torso_share > 1)
    bad("head_share and torso_share must be >= 0 and sum to at most 1");
  if (!(p.skus_per_shop >= 1)) bad("skus_per_shop must be >= 1");
  if (!(p.shop_zipf > 0 && p.shop_zipf < 5)) bad("shop_zipf must be in (0, 5)");
  if (!(p.abusive_shop_share >= 0 && p.abusive_shop_share <= 1)) bad("abusive_shop_share must be in [0, 1]");
  if (!(p.blocked_share >= 0 && p.blocked_share <= 1)) bad("blocked_share must be in [0, 1]");
  if (!(p.single_sku_share >= 0 && p.single_sku_share <= 1)) bad("single_sku_share must be in [0, 1]");
  if (p.max_variants < 1 || p.max_variants > 144) bad("max_variants must be in 1..144");
  if (!(p.zero_sale_share >= 0 && p.zero_sale_share <= 1)) bad("zero_sale_share must be in [0, 1]");
  if (!(p.sales_alpha > 1.05 && p.sales_alpha < 10)) bad("sales_alpha must be in (1.05, 10)");
  if (!(p.reviews_per_sale >= 0 && p.reviews_per_sale < 100)) bad("reviews_per_sale must be in [0, 100)");
  double total = 0;
  for (double r : p.abuse_rate) {
    if (!(r >= 0 && r <= 1)) bad("abuse rates must be in [0, 1]");
    total += r;
  }
  if (total > 0.5) bad("abuse rates must sum to at most 0.5 (honest listings stay the majority)");
  int64_t a = parse_date(p.date_start, "date_start"), b = parse_date(p.date_end, "date_end");
  if (b <= a) bad("date_end must be after date_start");
}

std::string params_json(const GeneratorParams& p) {
  std::string s;
  json::Writer w(s);
  w.object()
      .field("skus", p.skus)
      .field("seed", p.seed)
      .field("queries", p.queries)
      .field("head_share", p.head_share)
      .field("torso_share", p.torso_share)
      .field("qrels_cap", p.qrels_cap)
      .field("skus_per_shop", p.skus_per_shop)
      .field("shop_zipf", p.shop_zipf)
      .field("abusive_shop_share", p.abusive_shop_share)
      .field("blocked_share", p.blocked_share)
      .field("single_sku_share", p.single_sku_share)
      .field("max_variants", p.max_variants)
      .field("zero_sale_share", p.zero_sale_share)
      .field("sales_alpha", p.sales_alpha)
      .field("sales_cap", p.sales_cap)
      .field("reviews_per_sale", p.reviews_per_sale)
      .field("date_start", p.date_start)
      .field("date_end", p.date_end)
      .key("abuse_rate")
      .object();
  for (int k = 0; k < kAbuseKinds; ++k) w.field(abuse_name(static_cast<Abuse>(k + 1)), p.abuse_rate[k]);
  w.end();
  // Fitted and fixed model constants.
  const Vocabulary& v = vocabulary();
  w.key("model").object().key("title_len_quantiles").array();
  for (int k = 0; k < 21; ++k) w.value(static_cast<uint64_t>(kTitleLenQuantiles[k]));
  w.end()
      .field("min_title_chars", double(kMinTitleChars))
      .field("space_prob", kSpaceProb)
      .field("code_prob_extra", kCodeProbExtra)
      .field("bracket_prob", kBracketProb)
      .field("leaf_price_sd", kLeafPriceSd)
      .field("dup_window", static_cast<double>(kDupWindow))
      .key("price_lognormal")
      .object();
  for (const auto& g : v.price_groups) w.key(g.source).object().field("mu", g.mu).field("sigma", g.sigma).end();
  w.end().field("top_categories", v.tops.size()).field("leaf_categories", v.leaf_count).end().end();
  return s;
}

std::string summary_json(const GeneratorSummary& r, bool with_time) {
  std::string s;
  json::Writer w(s);
  w.object().field("skus", r.skus).field("items", r.items).field("shops", r.shops);
  auto by_kind = [&w](const char* name, const std::array<uint64_t, kAbuseKinds>& counts) {
    w.key(name).object();
    for (int k = 0; k < kAbuseKinds; ++k) w.field(abuse_name(static_cast<Abuse>(k + 1)), counts[k]);
    w.end();
  };
  by_kind("abusive_items", r.abusive_items);
  by_kind("abusive_skus", r.abusive_skus);
  w.key("queries").object();
  for (int k = 0; k < 3; ++k) w.field(kClassNames[k], r.queries[k]);
  w.end().field("queries_dropped", r.queries_dropped).field("qrels", r.qrels);
  if (with_time) w.field("seconds", std::round(r.seconds * 1000) / 1000);
  w.end();
  return s;
}

GeneratorSummary generate_catalog(const GeneratorParams& p, const std::string& out_dir, std::FILE* progress,
                                  bool zstd_catalog) {
  validate(p);
  if (out_dir.empty()) throw UsageError("gen: --out DIR is required");
  fs::path dir(out_dir);
  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
    throw UsageError("gen: --out " + out_dir + " exists and is not a directory");
  fs::create_directories(dir, ec);
  if (ec) throw UsageError("gen: cannot create --out " + out_dir + ": " + ec.message());
  Generator g(p);
  return g.run(dir, progress, zstd_catalog);
}

}  // namespace longtail::perf
