#include "format/values.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <unordered_map>

namespace longtail::index {

namespace {
void put_double(std::string& o, double v) {
  uint64_t u;
  std::memcpy(&u, &v, 8);
  for (int i = 0; i < 8; ++i) o += char((u >> (8 * i)) & 0xFF);
}
double get_double(const unsigned char* p) {
  uint64_t u = 0;
  for (int i = 0; i < 8; ++i) u |= uint64_t(p[i]) << (8 * i);
  double v;
  std::memcpy(&v, &u, 8);
  return v;
}
void put_string(std::string& o, const std::string& s) {
  size_t n = std::min<size_t>(s.size(), 0xFFFF);
  o += char(n & 0xFF);
  o += char(n >> 8);
  o.append(s, 0, n);
}
}  // namespace

namespace {

// ---- the variant table (format byte 4) ----------------------------------------------------

constexpr char kTableFormat = 4;
constexpr int kNums = 10;  // price, shipping_fee, sales_30d, reviews, good_reviews, listed_at, prior,
                           // sales_signal, rating_signal, shop_signal: a rank pack's doubles in order
constexpr uint8_t kNoPrice = 1;          // entry flags: the record has no price
constexpr uint8_t kSameIntegrity = 2;    // slots 20-27 as the previous variant's

void put_varint(std::string& o, uint64_t v) {
  while (v >= 0x80) {
    o += char(uint8_t(v) | 0x80);
    v >>= 7;
  }
  o += char(uint8_t(v));
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// A number: varint (v << 2 | tag): tag 0 a whole number v, 1 whole cents v, 2 as the previous
// variant's (v = 0), 3 eight little-endian bytes follow (v = 0). Whole and cents only when the
// value decodes bit for bit as written.
void put_num(std::string& o, double v, const double* prev) {
  if (prev && same_bits(v, *prev)) return put_varint(o, 2);
  constexpr double kMax = 9007199254740992.0 / 4;  // 2^51: v << 2 stays exact in 53 bits
  if (v >= 0 && !std::signbit(v) && v < kMax) {
    const double whole = std::floor(v);
    if (same_bits(whole, v)) return put_varint(o, uint64_t(whole) << 2);
    const double cents = std::nearbyint(v * 100);
    if (cents < kMax && same_bits(cents / 100, v)) return put_varint(o, uint64_t(cents) << 2 | 1);
  }
  put_varint(o, 3);
  put_double(o, v);
}

// Strings: varint n; n odd: the string numbered n >> 1 of those written before in this key; n
// even: a new one of n >> 1 bytes follows (numbered in order when not empty).
class TableWriter {
 public:
  explicit TableWriter(std::string& o) : o_(o) {}
  void str(std::string_view s) {
    if (!s.empty()) {
      auto [it, fresh] = seen_.try_emplace(s, uint32_t(seen_.size()));
      if (!fresh) return put_varint(o_, uint64_t(it->second) << 1 | 1);
    }
    put_varint(o_, uint64_t(s.size()) << 1);
    o_ += s;
  }

 private:
  std::string& o_;
  std::unordered_map<std::string_view, uint32_t> seen_;  // views into the caller's strings
};

double* pack_nums(RankPack& p, int i) {
  double* nums[kNums] = {&p.price, &p.shipping_fee, &p.sales_30d, &p.reviews, &p.good_reviews,
                         &p.listed_at, &p.prior, &p.sales_signal, &p.rating_signal, &p.shop_signal};
  return nums[i];
}
const double* pack_nums(const RankPack& p, int i) { return pack_nums(const_cast<RankPack&>(p), i); }

}  // namespace

std::string encode_stage1_key(std::string_view first_sku, const std::vector<VariantEntry>& variants) {
  static constexpr size_t kMaxString = 0xFFFF, kMaxAttrs = 255;  // as put_string and encode_attrs cut
  auto cut = [](std::string_view s) { return s.substr(0, std::min(s.size(), kMaxString)); };
  std::string key(first_sku);
  key += '\0';
  key += kTableFormat;
  put_varint(key, variants.size());
  TableWriter w(key);
  for (size_t i = 0; i < variants.size(); ++i) {
    const RankPack& p = variants[i].pack;
    const RankPack* prev = i > 0 ? &variants[i - 1].pack : nullptr;
    for (const std::string* s : {&p.sku, &p.item, &p.shop, &p.category, &p.brand}) w.str(cut(*s));
    const bool same_integrity = i > 0 && variants[i].integrity == variants[i - 1].integrity;
    key += char((p.price_known ? 0 : kNoPrice) | (same_integrity ? kSameIntegrity : 0));
    for (int k = 0; k < kNums; ++k) put_num(key, *pack_nums(p, k), prev ? pack_nums(*prev, k) : nullptr);
    for (int b = 0; b < 8; ++b) key += char((p.stored_hash >> (8 * b)) & 0xFF);
    if (!same_integrity) {
      uint8_t mask = 0;
      for (size_t k = 0; k < 8; ++k)
        if (!variants[i].integrity[k].empty()) mask |= uint8_t(1u << k);
      key += char(mask);
      for (const auto& x : variants[i].integrity)
        if (!x.empty()) w.str(x);
    }
    const auto& attrs = variants[i].attrs;
    const size_t n_attrs = std::min(attrs.size(), kMaxAttrs);
    put_varint(key, n_attrs);
    for (size_t k = 0; k < n_attrs; ++k) {
      w.str(cut(attrs[k].first));
      w.str(cut(attrs[k].second));
    }
    put_varint(key, variants[i].words.size());
    for (const auto& x : variants[i].words) w.str(cut(x));
  }
  return key;
}

std::string encode_stage1_key(std::string_view first_sku, const std::vector<VariantValues>& variants) {
  std::vector<VariantEntry> entries(variants.size());
  for (size_t i = 0; i < variants.size(); ++i) {
    const auto& v = variants[i];
    VariantEntry& e = entries[i];
    // An empty attributes piece and encode_attrs({}) read back alike: no attributes.
    if (!decode_rank_pack(v.rank_pack, e.pack) || (!v.attrs.empty() && !decode_attrs(v.attrs, e.attrs)) ||
        !decode_words(v.words, e.words))
      throw std::invalid_argument("encode_stage1_key: a variant's piece does not decode");
    e.integrity = v.integrity;
  }
  return encode_stage1_key(first_sku, entries);
}

std::string encode_attrs(const Attrs& attrs) {
  std::string out;
  out += char(std::min<size_t>(attrs.size(), 255));
  size_t n = 0;
  for (const auto& [k, v] : attrs) {
    if (++n > 255) break;
    put_string(out, k);
    put_string(out, v);
  }
  return out;
}

bool decode_attrs(std::string_view data, Attrs& out) {
  out.clear();
  if (data.empty()) return false;
  size_t at = 1;
  const size_t n = uint8_t(data[0]);
  out.resize(n);
  auto get = [&](std::string& s) {
    if (at + 2 > data.size()) return false;
    size_t len = size_t(uint8_t(data[at])) | size_t(uint8_t(data[at + 1])) << 8;
    at += 2;
    if (at + len > data.size()) return false;
    s.assign(data.substr(at, len));
    at += len;
    return true;
  };
  for (auto& [k, v] : out)
    if (!get(k) || !get(v)) return false;
  return at == data.size();
}

std::string encode_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) put_string(out, w);
  return out;
}

bool decode_words(std::string_view data, std::vector<std::string>& out) {
  out.clear();
  size_t at = 0;
  while (at < data.size()) {
    if (at + 2 > data.size()) return false;
    size_t len = size_t(uint8_t(data[at])) | size_t(uint8_t(data[at + 1])) << 8;
    at += 2;
    if (at + len > data.size()) return false;
    out.emplace_back(data.substr(at, len));
    at += len;
  }
  return true;
}

std::string stored_value(const Xapian::Document& doc, unsigned s) {
  if (std::find(kCarriedSlots.begin(), kCarriedSlots.end(), s) == kCarriedSlots.end()) return doc.get_value(s);
  Stage1Key key;
  const std::string k = doc.get_value(slot::kStage1Key);
  if (!decode_stage1_key(k, key)) return {};
  if (s == slot::kSkuId) return k.substr(0, k.find('\0'));
  if (s >= slot::kPenalty && s <= slot::kShopBlocked) return std::string(key.integrity[s - slot::kPenalty]);
  if (s == slot::kRankPack) return std::string(key.rank_pack);
  RankPack p;
  if (!decode_rank_pack(key.rank_pack, p)) return {};
  switch (s) {
    case slot::kPrice: return Xapian::sortable_serialise(p.price);
    case slot::kShippingFee: return Xapian::sortable_serialise(p.shipping_fee);
    case slot::kReviews: return Xapian::sortable_serialise(p.reviews);
    case slot::kGoodReviews: return Xapian::sortable_serialise(p.good_reviews);
    case slot::kShopId: return p.shop;
    case slot::kCategory: return p.category;
    case slot::kBrand: return p.brand;
    case slot::kSalesSignal: return Xapian::sortable_serialise(p.sales_signal);
    case slot::kShopSignal: return Xapian::sortable_serialise(p.shop_signal);
    default: return {};
  }
}

namespace {

// Reads a key written by encode_stage1_key: every entry's pieces as views into the key (or into
// the rank pack numbers decoded), in table order.
struct EntryView {
  std::array<std::string_view, 5> strs;  // sku, item, shop, category, brand
  std::array<double, kNums> nums{};
  uint64_t stored_hash = 0;
  bool price_known = true;
  std::array<std::string_view, 8> integrity;
  std::vector<std::pair<std::string_view, std::string_view>> attrs;
  std::vector<std::string_view> words;
};

class TableReader {
 public:
  explicit TableReader(std::string_view key) : k_(key) {}

  // The first sku_id and the number of entries; false if damaged.
  bool open(std::string_view& first_sku, size_t& n) {
    at_ = k_.find('\0');
    if (at_ == std::string_view::npos) return false;
    first_sku = k_.substr(0, at_);
    ++at_;
    uint64_t count = 0;
    if (at_ >= k_.size() || k_[at_++] != kTableFormat || !varint(count)) return false;
    if (count == 0 || count > k_.size() - at_) return false;  // an entry takes at least one byte
    n = size_t(count);
    return true;
  }

  // The next entry into `e`, whose previous contents are the previous entry's (the first: any).
  bool next(EntryView& e, bool first) {
    for (auto& s : e.strs)
      if (!str(s)) return false;
    if (at_ >= k_.size()) return false;
    const uint8_t flags = uint8_t(k_[at_++]);
    if (flags & ~uint8_t(kNoPrice | kSameIntegrity) || (first && (flags & kSameIntegrity))) return false;
    e.price_known = !(flags & kNoPrice);
    for (auto& v : e.nums)
      if (!num(v, first)) return false;
    if (k_.size() - at_ < 8) return false;
    e.stored_hash = 0;
    for (int b = 0; b < 8; ++b) e.stored_hash |= uint64_t(uint8_t(k_[at_ + size_t(b)])) << (8 * b);
    at_ += 8;
    if (!(flags & kSameIntegrity)) {
      if (at_ >= k_.size()) return false;
      const uint8_t mask = uint8_t(k_[at_++]);
      for (size_t b = 0; b < 8; ++b) {
        e.integrity[b] = {};
        if ((mask >> b) & 1u)
          if (!str(e.integrity[b]) || e.integrity[b].empty()) return false;
      }
    }
    uint64_t n = 0;
    if (!varint(n) || n > 255 || n > k_.size() - at_) return false;
    e.attrs.resize(size_t(n));
    for (auto& [a, v] : e.attrs)
      if (!str(a) || !str(v)) return false;
    if (!varint(n) || n > k_.size() - at_) return false;
    e.words.resize(size_t(n));
    for (auto& w : e.words)
      if (!str(w)) return false;
    return true;
  }

  bool at_end() const { return at_ == k_.size(); }

 private:
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ >= k_.size()) return false;
      const uint8_t b = uint8_t(k_[at_++]);
      v |= uint64_t(b & 0x7F) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool str(std::string_view& s) {
    uint64_t n = 0;
    if (!varint(n)) return false;
    if (n & 1) {
      if ((n >> 1) >= seen_.size()) return false;
      s = seen_[size_t(n >> 1)];
      return true;
    }
    n >>= 1;
    if (n > k_.size() - at_) return false;
    s = k_.substr(at_, size_t(n));
    at_ += size_t(n);
    if (!s.empty()) seen_.push_back(s);
    return true;
  }
  // `v` holds the previous entry's value of the same field.
  bool num(double& v, bool first) {
    uint64_t n = 0;
    if (!varint(n)) return false;
    switch (n & 3) {
      case 0: v = double(n >> 2); return true;
      case 1: v = double(n >> 2) / 100; return true;
      case 2: return n == 2 && !first;
      default:
        if (n != 3 || k_.size() - at_ < 8) return false;
        v = get_double(reinterpret_cast<const unsigned char*>(k_.data() + at_));
        at_ += 8;
        return true;
    }
  }

  std::string_view k_;
  size_t at_ = 0;
  std::vector<std::string_view> seen_;
};

void view_to_pack(const EntryView& e, RankPack& p) {
  for (int k = 0; k < kNums; ++k) *pack_nums(p, k) = e.nums[size_t(k)];
  p.effective_price = p.price + p.shipping_fee;  // as SkuRecord::effective_price()
  p.stored_hash = e.stored_hash;
  p.price_known = e.price_known;
  std::string* strs[] = {&p.sku, &p.item, &p.shop, &p.category, &p.brand};
  for (size_t k = 0; k < 5; ++k) strs[k]->assign(e.strs[k]);
}

// Decodes the first `limit` entries of `key` (all when 0), calling `take(i, entry)` for each.
template <class Take>
bool read_table(std::string_view key, size_t limit, Take&& take) {
  TableReader r(key);
  std::string_view first;
  size_t n = 0;
  if (!r.open(first, n)) return false;
  thread_local EntryView e;
  const size_t upto = limit == 0 ? n : std::min(n, limit);
  for (size_t i = 0; i < n; ++i) {
    if (!r.next(e, i == 0)) return false;
    if (i < upto && !take(i, n, first, e)) return false;
  }
  return r.at_end();
}

void view_to_raw(const EntryView& e, std::string_view first, Stage1Key& out) {
  RankPack p;
  view_to_pack(e, p);
  out.sku.assign(first);
  out.rank_pack = encode_rank_pack(p);
  for (size_t k = 0; k < 8; ++k) out.integrity[k].assign(e.integrity[k]);
  Attrs attrs;
  for (const auto& [a, v] : e.attrs) attrs.emplace_back(a, v);
  out.attrs = encode_attrs(attrs);
  std::vector<std::string> words(e.words.begin(), e.words.end());
  out.words = encode_words(words);
}

}  // namespace

size_t find_variant(std::string_view key, std::string_view sku) {
  TableReader r(key);
  std::string_view first;
  size_t n = 0;
  if (!r.open(first, n)) return std::string_view::npos;
  thread_local EntryView e;
  for (size_t i = 0; i < n; ++i) {
    if (!r.next(e, i == 0)) return std::string_view::npos;
    if (e.strs[0] == sku) return i;
  }
  return std::string_view::npos;
}

bool decode_stage1_table(std::string_view key, std::vector<Stage1Key>& out) {
  out.clear();
  return read_table(key, 0, [&](size_t, size_t n, std::string_view first, const EntryView& e) {
    if (out.empty()) out.reserve(n);
    view_to_raw(e, first, out.emplace_back());
    return true;
  });
}

bool decode_stage1_key(std::string_view key, Stage1Key& out) {
  return read_table(key, 1, [&](size_t, size_t, std::string_view first, const EntryView& e) {
    view_to_raw(e, first, out);
    return true;
  });
}

std::string encode_rank_pack(const RankPack& p) {
  std::string o;
  o.reserve(1 + 11 * 8 + 1 + 10 + p.sku.size() + p.item.size() + p.shop.size() + p.category.size() + p.brand.size());
  o += char(3);
  for (double v : {p.price, p.shipping_fee, p.sales_30d, p.reviews, p.good_reviews, p.listed_at, p.prior,
                   p.sales_signal, p.rating_signal, p.shop_signal})
    put_double(o, v);
  for (int i = 0; i < 8; ++i) o += char((p.stored_hash >> (8 * i)) & 0xFF);
  o += char(p.price_known ? 0 : 1);
  for (const std::string* s : {&p.sku, &p.item, &p.shop, &p.category, &p.brand}) put_string(o, *s);
  return o;
}

bool decode_rank_pack(std::string_view data, RankPack& out) {
  const auto* b = reinterpret_cast<const unsigned char*>(data.data());
  size_t n = data.size(), at = 1 + 11 * 8;
  if (n < at || (b[0] != 2 && b[0] != 3)) return false;
  double* nums[] = {&out.price, &out.shipping_fee, &out.sales_30d, &out.reviews, &out.good_reviews,
                    &out.listed_at, &out.prior, &out.sales_signal, &out.rating_signal, &out.shop_signal};
  for (int i = 0; i < 10; ++i) *nums[i] = get_double(b + 1 + 8 * i);
  out.effective_price = out.price + out.shipping_fee;  // as SkuRecord::effective_price()
  out.stored_hash = 0;
  for (int i = 0; i < 8; ++i) out.stored_hash |= uint64_t(b[1 + 10 * 8 + i]) << (8 * i);
  out.price_known = true;
  if (b[0] == 3) {  // the flags byte
    if (at + 1 > n || b[at] > 1) return false;
    out.price_known = b[at] == 0;
    ++at;
  }
  for (std::string* s : {&out.sku, &out.item, &out.shop, &out.category, &out.brand}) {
    if (at + 2 > n) return false;
    size_t len = size_t(b[at]) | size_t(b[at + 1]) << 8;
    at += 2;
    if (at + len > n) return false;
    s->assign(data.data() + at, len);
    at += len;
  }
  return at == n;
}


namespace {
double num_value(std::string_view v, double dflt) { return v.empty() ? dflt : Xapian::sortable_unserialise(std::string(v)); }

void view_to_listing(const EntryView& e, ListingKey& out) {
  view_to_pack(e, out.pack);
  out.attrs.resize(e.attrs.size());
  for (size_t k = 0; k < e.attrs.size(); ++k) {
    out.attrs[k].first.assign(e.attrs[k].first);
    out.attrs[k].second.assign(e.attrs[k].second);
  }
  out.words.resize(e.words.size());
  for (size_t k = 0; k < e.words.size(); ++k) out.words[k].assign(e.words[k]);
  auto& g = out.integrity;
  auto at = [&e](unsigned s) { return e.integrity[s - slot::kPenalty]; };
  g.penalty = num_value(at(slot::kPenalty), 1);
  g.sales_trust = num_value(at(slot::kSalesTrust), 1);
  g.shop_penalty = num_value(at(slot::kShopPenalty), 1);
  g.shop_violations = int64_t(num_value(at(slot::kShopViolations), 0));
  g.shop_blocked = num_value(at(slot::kShopBlocked), 0) >= 0.5;
  g.dup_cluster.assign(at(slot::kDupCluster));
  const std::string_view kind = at(slot::kDupKind);
  g.dup_kind = kind.empty() ? 0 : kind[0];
  g.reasons.assign(at(slot::kIntegrityFlags));
  g.verdict_json.clear();
}
}  // namespace

bool decode_listing_key(std::string_view key, ListingKey& out) {
  return read_table(key, 1, [&](size_t, size_t, std::string_view, const EntryView& e) {
    view_to_listing(e, out);
    return true;
  });
}

bool decode_item_key(std::string_view key, std::vector<ListingKey>& out) {
  size_t count = 0;
  const bool ok = read_table(key, 0, [&](size_t i, size_t n, std::string_view, const EntryView& e) {
    if (i == 0) out.resize(n);
    view_to_listing(e, out[i]);
    count = n;
    return true;
  });
  return ok && count > 0;
}
}  // namespace longtail::index
