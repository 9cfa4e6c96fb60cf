#include "index/document.h"

#include <cstdint>
#include <cstdio>

#include <simdjson.h>

#include "index/layout.h"
#include "index/signals.h"

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

Xapian::Document make_document(const analysis::Analyzer& analyzer, const SkuRecord& r,
                               double static_prior) {
  DocumentMemo memo(analyzer);
  return make_document(memo, r, static_prior);
}

Xapian::Document make_document(DocumentMemo& memo, const SkuRecord& r, double static_prior) {
  Xapian::Document doc;
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

  set_record_values(doc, r, static_prior);
  doc.set_data(encode_stored(r));
  return doc;
}

void set_record_values(Xapian::Document& doc, const SkuRecord& r, double static_prior) {
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
  set_number(doc, slot::kStaticPrior, static_prior);
  doc.add_value(slot::kVariant, encode_variant_pack(r));
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

size_t utf8_valid_length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  // RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) n = 2;
  else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k)
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  return n;
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      // JSON text is UTF-8: a byte that starts no valid sequence becomes U+FFFD (one per byte).
      const size_t n = utf8_valid_length(s, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out.append(s.data() + i, n);
        i += n;
      }
      continue;
    }
    ++i;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += char(c);
        }
    }
  }
  out += '"';
}

namespace {
// encode_stored() without its closing brace; display fields as a string member when asked.
std::string encode_stored_open(const SkuRecord& r, bool with_fields) {
  std::string out;
  out.reserve(256 + r.title.size());
  auto field = [&](const char* name) {
    if (out.size() > 1) out += ',';
    out += '"';
    out += name;
    out += "\":";
  };
  out += '{';
  field("sku_id"); append_json_string(out, r.sku_id);
  field("item_id"); append_json_string(out, r.item_id);
  field("shop_id"); append_json_string(out, r.shop_id);
  field("title"); append_json_string(out, r.title);
  field("category"); append_json_string(out, r.category);
  field("brand"); append_json_string(out, r.brand);
  field("attrs");
  out += '{';
  for (size_t i = 0; i < r.attrs.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, r.attrs[i].first);
    out += ':';
    append_json_string(out, r.attrs[i].second);
  }
  out += '}';
  // Display fields as a JSON string holding their object text: stored as given, and no key in
  // them can be mistaken for one of the data's own ("integrity", IntegrityModel::write_values).
  // Absent when there are none, so the data of such a record is as before display fields.
  if (with_fields && !r.fields.empty()) {
    field("fields");
    append_json_string(out, r.fields);
  }
  return out;
}
}  // namespace

std::string encode_stored(const SkuRecord& r) { return encode_stored_open(r, true) + '}'; }

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
  std::string out = encode_stored_open(r, false);
  if (r.fields.size() > 2) {  // the display fields' members, as the catalog line had them
    out += ',';
    out.append(r.fields, 1, r.fields.size() - 2);
  }
  auto number = [&out](const char* name, double v) {
    char buf[64];
    int n = std::snprintf(buf, sizeof buf, ",\"%s\":%.17g", name, v);
    out.append(buf, size_t(n));
  };
  if (r.price_known) number("price", r.price);  // no price: no key, as in the catalog line
  number("shipping_fee", r.shipping_fee);
  number("sales_30d", double(r.sales_30d));
  number("reviews", double(r.reviews));
  number("good_reviews", double(r.good_reviews));
  number("listed_at", double(r.listed_at));
  out += '}';
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

}  // namespace longtail::index
