#include "format/values.h"

#include <algorithm>
#include <cstring>

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
void put_len(std::string& key, std::string_view v) {
  uint32_t n = uint32_t(v.size());
  for (int i = 0; i < 4; ++i) key += char((n >> (8 * i)) & 0xff);
  key += v;
}
}  // namespace

std::string encode_stage1_key(std::string_view first_sku, const std::vector<VariantValues>& variants) {
  std::string key(first_sku);
  key += '\0';
  for (const auto& v : variants) {
    put_len(key, v.rank_pack);
    for (const auto& x : v.integrity) put_len(key, x);
    put_len(key, v.attrs);
    put_len(key, v.words);
  }
  return key;
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

bool decode_stage1_table(std::string_view key, std::vector<Stage1Key>& out) {
  out.clear();
  size_t at = key.find('\0');
  if (at == std::string_view::npos) return false;
  const std::string_view sku = key.substr(0, at);
  ++at;
  auto get = [&](std::string_view& v) {
    if (key.size() - at < 4) return false;
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= uint32_t(uint8_t(key[at + size_t(i)])) << (8 * i);
    at += 4;
    if (key.size() - at < n) return false;
    v = key.substr(at, n);
    at += n;
    return true;
  };
  while (at < key.size()) {
    Stage1Key& e = out.emplace_back();
    e.sku = sku;
    if (!get(e.rank_pack)) return false;
    for (auto& v : e.integrity)
      if (!get(v)) return false;
    if (!get(e.attrs) || !get(e.words)) return false;
  }
  return !out.empty() && at == key.size();
}

bool decode_stage1_key(std::string_view key, Stage1Key& out) {
  thread_local std::vector<Stage1Key> table;
  if (!decode_stage1_table(key, table)) return false;
  out = table.front();
  return true;
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
}  // namespace

namespace {
bool decode_entry(const Stage1Key& k, ListingKey& out) {
  if (!decode_rank_pack(k.rank_pack, out.pack) || !decode_attrs(k.attrs, out.attrs) || !decode_words(k.words, out.words))
    return false;
  auto& g = out.integrity;
  auto at = [&k](unsigned s) { return k.integrity[s - slot::kPenalty]; };
  g.penalty = num_value(at(slot::kPenalty), 1);
  g.sales_trust = num_value(at(slot::kSalesTrust), 1);
  g.shop_penalty = num_value(at(slot::kShopPenalty), 1);
  g.shop_violations = int64_t(num_value(at(slot::kShopViolations), 0));
  g.shop_blocked = num_value(at(slot::kShopBlocked), 0) >= 0.5;
  g.dup_cluster = k.dup_cluster();
  g.dup_kind = k.dup_kind().empty() ? 0 : k.dup_kind()[0];
  g.reasons = k.flags();
  g.verdict_json.clear();
  return true;
}
}  // namespace

bool decode_listing_key(std::string_view key, ListingKey& out) {
  Stage1Key k;
  return decode_stage1_key(key, k) && decode_entry(k, out);
}

bool decode_item_key(std::string_view key, std::vector<ListingKey>& out) {
  thread_local std::vector<Stage1Key> table;
  if (!decode_stage1_table(key, table)) return false;
  out.resize(table.size());
  for (size_t i = 0; i < table.size(); ++i)
    if (!decode_entry(table[i], out[i])) return false;
  return true;
}

}  // namespace longtail::index
