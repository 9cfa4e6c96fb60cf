#include "format/document.h"

#include <cstdint>

#include <simdjson.h>
#include <xxhash.h>

#include "common/json_writer.h"
#include "format/layout.h"
#include "format/stored.h"

namespace longtail::index {

namespace {
constexpr size_t kMaxTermBytes = 240;  // Xapian's limit is 245 bytes including the prefix

void add_text_terms(DocumentMemo& memo, Xapian::Document& doc, std::string_view text) {
  for (const auto& t : memo.index_terms(text)) doc.add_term(t);
}

void add_bool(Xapian::Document& doc, std::string_view prefix, const std::string& key) {
  if (key.empty() || key.size() + prefix.size() > kMaxTermBytes) return;
  std::string term(prefix);
  term += key;
  doc.add_boolean_term(term);
}

void set_number(Xapian::Document& doc, unsigned slot, double v) {
  doc.add_value(slot, Xapian::sortable_serialise(v));
}

// (2-byte little-endian length, bytes); the catalog limits every string to far less.
void put_short_string(std::string& out, std::string_view s) {
  out += char(s.size() & 0xff);
  out += char((s.size() >> 8) & 0xff);
  out.append(s);
}

bool get_short_string(std::string_view data, size_t& at, std::string& out) {
  if (at + 2 > data.size()) return false;
  size_t len = size_t(uint8_t(data[at])) | size_t(uint8_t(data[at + 1])) << 8;
  at += 2;
  if (at + len > data.size()) return false;
  out.assign(data.substr(at, len));
  at += len;
  return true;
}

}  // namespace

std::string filter_key(const analysis::Analyzer& analyzer, std::string_view s) {
  std::string n = analyzer.normalize(s);
  std::string out;
  out.reserve(n.size());
  for (char c : n)
    if (c != ' ' && c != '\t') out += c;
  return out;
}

const std::vector<std::string>& DocumentMemo::index_terms(std::string_view text) {
  if (auto it = terms_.find(text); it != terms_.end()) return it->second;
  if (terms_.size() >= max_entries_) terms_.clear();
  std::vector<std::string> terms;
  for (auto& t : analyzer_.analyze(text, analysis::Mode::Index)) {
    if (t.kind == analysis::TokenKind::Other || t.text.empty() || t.text.size() > kMaxTermBytes) continue;
    terms.push_back(std::move(t.text));
  }
  return terms_.emplace(std::string(text), std::move(terms)).first->second;
}

const std::string& DocumentMemo::filter_key(std::string_view s) {
  if (auto it = keys_.find(s); it != keys_.end()) return it->second;
  if (keys_.size() >= max_entries_) keys_.clear();
  return keys_.emplace(std::string(s), index::filter_key(analyzer_, s)).first->second;
}

namespace {

void add_terms(DocumentMemo& memo, Xapian::Document& doc, const SkuRecord& r) {
  add_bool(doc, prefix::kSku, r.sku_id);
  add_bool(doc, prefix::kItem, r.item_id);
  add_bool(doc, prefix::kShop, r.shop_id);

  add_text_terms(memo, doc, r.title);
  if (!r.brand.empty()) {
    add_bool(doc, prefix::kBrand, memo.filter_key(r.brand));
    // "CHANDO/自然堂": each alias is a filter key too.
    if (r.brand.find('/') != std::string::npos)
      for (const auto& alias : category_levels(r.brand)) {
        size_t slash = alias.rfind('/');
        add_bool(doc, prefix::kBrand, memo.filter_key(slash == std::string::npos ? alias : alias.substr(slash + 1)));
      }
    add_text_terms(memo, doc, r.brand);
  }
  auto levels = category_levels(r.category);
  for (const auto& level : levels) add_bool(doc, prefix::kCategory, memo.filter_key(level));
  if (!levels.empty()) {
    const std::string& leaf = levels.back();
    size_t slash = leaf.rfind('/');
    add_text_terms(memo, doc, slash == std::string::npos ? leaf : leaf.substr(slash + 1));
  }
  for (const auto& [k, v] : r.attrs) {
    std::string kv = memo.filter_key(k);  // a copy: the next look-up may start the memo afresh
    kv += '=';
    kv += memo.filter_key(v);
    add_bool(doc, prefix::kAttr, kv);
    add_text_terms(memo, doc, v);
  }
}

// The values that come from the record and the signals (slots 0-18 and 28; the rank pack).
void put_values(Xapian::Document& doc, const SkuRecord& r, const ListingSignals& g, uint64_t hash) {
  doc.add_value(slot::kItemId, r.item_id);
  doc.add_value(slot::kSkuId, r.sku_id);
  doc.add_value(slot::kShopId, r.shop_id);
  set_number(doc, slot::kPrice, r.price);
  set_number(doc, slot::kShippingFee, r.shipping_fee);
  set_number(doc, slot::kEffectivePrice, r.effective_price());
  set_number(doc, slot::kSales30d, double(r.sales_30d));
  set_number(doc, slot::kReviews, double(r.reviews));
  set_number(doc, slot::kGoodReviews, double(r.good_reviews));
  set_number(doc, slot::kListedAt, double(r.listed_at));
  set_number(doc, slot::kStaticPrior, g.prior);
  set_number(doc, slot::kSalesSignal, g.sales);
  set_number(doc, slot::kRatingSignal, g.rating);
  set_number(doc, slot::kShopSignal, g.shop);
  if (!r.category.empty()) doc.add_value(slot::kCategory, r.category);
  if (!r.brand.empty()) doc.add_value(slot::kBrand, r.brand);
  doc.add_value(slot::kVariant, encode_variant_pack(r));
  RankPack p;
  p.price = r.price;
  p.price_known = r.price_known;
  p.shipping_fee = r.shipping_fee;
  p.effective_price = r.effective_price();
  p.sales_30d = double(r.sales_30d);
  p.reviews = double(r.reviews);
  p.good_reviews = double(r.good_reviews);
  p.listed_at = double(r.listed_at);
  p.prior = g.prior;
  p.sales_signal = g.sales;
  p.rating_signal = g.rating;
  p.shop_signal = g.shop;
  p.stored_hash = hash;
  p.sku = r.sku_id;
  p.item = r.item_id;
  p.shop = r.shop_id;
  p.category = r.category;
  p.brand = r.brand;
  doc.add_value(slot::kRankPack, encode_rank_pack(p));
}

// Slots 20-27 and the stored verdict object (docs/integrity.md). `data_has_verdict`: the
// document's data may hold a verdict object written before, to be replaced; when neither it nor
// the new verdict has one, the data is not even read.
void put_integrity(Xapian::Document& doc, const ListingIntegrity& g, bool data_has_verdict) {
  set_number(doc, slot::kPenalty, g.penalty);
  set_number(doc, slot::kSalesTrust, g.sales_trust);
  set_number(doc, slot::kShopPenalty, g.shop_penalty);
  set_number(doc, slot::kShopViolations, double(g.shop_violations));
  set_number(doc, slot::kShopBlocked, g.shop_blocked ? 1.0 : 0.0);
  // An empty value removes a slot.
  doc.add_value(slot::kDupCluster, g.dup_kind ? g.dup_cluster : std::string());
  doc.add_value(slot::kDupKind, g.dup_kind ? std::string(1, g.dup_kind) : std::string());
  doc.add_value(slot::kIntegrityFlags, g.reasons);
  if (!g.flagged() && !data_has_verdict) return;
  const std::string old_data = doc.get_data();
  std::string data = old_data;
  // Replace an "integrity" object written before (update fast path), then append the new one.
  if (size_t at = data.find(",\"integrity\":{"); at != std::string::npos) data.erase(at, data.size() - 1 - at);
  if (g.flagged() && !data.empty() && data.back() == '}') {
    data.pop_back();
    data += ",\"integrity\":" + g.verdict_json + "}";
  }
  // Unchanged data is not set again: on a document read back from a shard Xapian then leaves the
  // data alone (no compression and write; the update fast path, docs/index-format.md).
  if (data != old_data) doc.set_data(data);
}

}  // namespace

uint64_t stored_hash(const SkuRecord& r) {
  const std::string s = encode_stored(r);
  return XXH3_64bits(s.data(), s.size());
}

Xapian::Document write_document(const analysis::Analyzer& analyzer, const SkuRecord& r, const ListingValues& v) {
  DocumentMemo memo(analyzer);
  return write_document(memo, r, v);
}

Xapian::Document write_document(DocumentMemo& memo, const SkuRecord& r, const ListingValues& v) {
  Xapian::Document doc;
  add_terms(memo, doc, r);
  std::string data = encode_stored(r);
  const uint64_t hash = XXH3_64bits(data.data(), data.size());
  doc.set_data(std::move(data));
  put_values(doc, r, v.signals, hash);
  if (v.integrity) put_integrity(doc, *v.integrity, false);
  finish_values(doc);
  return doc;
}

void rewrite_values(Xapian::Document& doc, const SkuRecord& r, const ListingValues& v, const Rewrite& how) {
  doc.clear_values();
  if (how.new_fields) doc.set_data(encode_stored(r));
  put_values(doc, r, v.signals, how.stored_hash ? *how.stored_hash : stored_hash(r));
  if (v.integrity) put_integrity(doc, *v.integrity, how.data_has_verdict && !how.new_fields);
  finish_values(doc);
}

std::string encode_variant_pack(const SkuRecord& r) {
  std::string out;
  out += char(1);
  put_short_string(out, r.item_id);
  put_short_string(out, r.sku_id);
  out += char(r.attrs.size());
  for (const auto& [k, v] : r.attrs) {
    put_short_string(out, k);
    put_short_string(out, v);
  }
  return out;
}

bool decode_variant_pack(std::string_view data, VariantPack& out) {
  if (data.size() < 2 || data[0] != char(1)) return false;
  size_t at = 1;
  if (!get_short_string(data, at, out.item) || !get_short_string(data, at, out.sku) || at >= data.size()) return false;
  const size_t n = uint8_t(data[at++]);
  out.attrs.resize(n);
  for (auto& [k, v] : out.attrs)
    if (!get_short_string(data, at, k) || !get_short_string(data, at, v)) return false;
  return at == data.size();
}

namespace {
// The stored fields, left open for record_json to add the numbers.
void stored_fields(json::Writer& w, const SkuRecord& r) {
  w.object()
      .field("sku_id", r.sku_id)
      .field("item_id", r.item_id)
      .field("shop_id", r.shop_id)
      .field("title", r.title)
      .field("category", r.category)
      .field("brand", r.brand)
      .key("attrs")
      .object();
  for (const auto& [k, v] : r.attrs) w.field(k, v);
  w.end();
}
}  // namespace

std::string encode_stored(const SkuRecord& r) {
  std::string out;
  out.reserve(256 + r.title.size());
  json::Writer w(out);
  stored_fields(w, r);
  // Display fields as a JSON string holding their object text: stored as given, and no key in
  // them can be mistaken for one of the data's own ("integrity", IntegrityModel::write_values).
  // Absent when there are none, so the data of such a record is as before display fields.
  if (!r.fields.empty()) w.field("fields", r.fields);
  w.end();
  return out;
}

bool decode_stored(std::string_view data, SkuRecord& out) {
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(data);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc)) return false;
  out = SkuRecord{};
  simdjson::dom::object obj;
  if (doc.get(obj)) return false;
  for (auto [k, v] : obj) {
    if (k == "sku_id") out.sku_id = std::string(v.get_string().value_unsafe());
    else if (k == "item_id") out.item_id = std::string(v.get_string().value_unsafe());
    else if (k == "shop_id") out.shop_id = std::string(v.get_string().value_unsafe());
    else if (k == "title") out.title = std::string(v.get_string().value_unsafe());
    else if (k == "category") out.category = std::string(v.get_string().value_unsafe());
    else if (k == "brand") out.brand = std::string(v.get_string().value_unsafe());
    else if (k == "attrs") {
      simdjson::dom::object attrs = v.get_object().value_unsafe();
      for (auto [ak, av] : attrs)
        out.attrs.emplace_back(std::string(ak), std::string(av.get_string().value_unsafe()));
    } else if (k == "fields") {
      out.fields = std::string(v.get_string().value_unsafe());
    }  // "integrity" (a flagged listing's verdict) is decode_integrity()'s
  }
  return true;
}

bool read_record(const Xapian::Document& doc, SkuRecord& out) { return read_record(doc, doc.get_data(), out); }

bool read_record(const Xapian::Document& doc, std::string_view data, SkuRecord& out) {
  if (!decode_stored(data, out)) return false;
  Stage1Key key;
  RankPack p;
  if (!decode_stage1_key(doc.get_value(slot::kStage1Key), key) || !decode_rank_pack(key.rank_pack, p)) return false;
  out.price = p.price;
  out.price_known = p.price_known;
  out.shipping_fee = p.shipping_fee;
  out.sales_30d = int64_t(p.sales_30d);
  out.reviews = int64_t(p.reviews);
  out.good_reviews = int64_t(p.good_reviews);
  out.listed_at = int64_t(p.listed_at);
  return true;
}

std::string record_json(const SkuRecord& r) {
  std::string out;
  json::Writer w(out);
  stored_fields(w, r);
  // The display fields' members, as the catalog line had them.
  if (r.fields.size() > 2) w.members_raw(std::string_view(r.fields).substr(1, r.fields.size() - 2));
  if (r.price_known) w.field("price", r.price);  // no price: no key, as in the catalog line
  w.field("shipping_fee", r.shipping_fee)
      .field("sales_30d", r.sales_30d)
      .field("reviews", r.reviews)
      .field("good_reviews", r.good_reviews)
      .field("listed_at", r.listed_at)
      .end();
  return out;
}

bool same_record(const SkuRecord& a, const SkuRecord& b) {
  return a.price == b.price && a.price_known == b.price_known && a.shipping_fee == b.shipping_fee && a.sales_30d == b.sales_30d &&
         a.reviews == b.reviews && a.good_reviews == b.good_reviews && a.listed_at == b.listed_at &&
         encode_stored(a) == encode_stored(b);
}

std::vector<std::string> tier_terms(const Xapian::Document& doc) {
  std::vector<std::string> out;
  auto t = doc.termlist_begin();
  t.skip_to(std::string(prefix::kTier));
  for (; t != doc.termlist_end() && (*t).starts_with(prefix::kTier); ++t) out.push_back(*t);
  return out;
}

void set_tier_terms(Xapian::Document& doc, std::span<const uint64_t> tier_end, uint64_t rank) {
  for (const auto& t : tier_terms(doc)) doc.remove_term(t);  // an optimized index optimized again
  for (size_t i = 0; i < tier_end.size(); ++i)
    if (rank < tier_end[i]) doc.add_boolean_term(std::string(prefix::kTier) + std::to_string(i));
}

void move_data(Xapian::Document& doc, StoredWriter& store) {
  store.add(doc.get_data());
  doc.set_data(std::string());
}

}  // namespace longtail::index
