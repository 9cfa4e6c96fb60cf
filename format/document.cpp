#include "format/document.h"

#include <algorithm>
#include <optional>
#include <cmath>
#include <cstdint>
#include <stdexcept>

#include <simdjson.h>
#include <xxhash.h>

#include "common/json_writer.h"
#include "format/layout.h"
#include "format/stored.h"

namespace longtail::index {

namespace {
constexpr size_t kMaxTermBytes = 240;  // Xapian's limit is 245 bytes including the prefix

void add_bool(Xapian::Document& doc, std::string_view prefix, const std::string& key) {
  if (key.empty() || key.size() + prefix.size() > kMaxTermBytes) return;
  std::string term(prefix);
  term += key;
  doc.add_boolean_term(term);
}

void set_number(Xapian::Document& doc, unsigned slot, double v) {
  doc.add_value(slot, Xapian::sortable_serialise(v));
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

// Text terms with their wdf (one variant: summed over its texts, as a document of one SKU had).
using TermCounts = std::unordered_map<std::string, Xapian::termcount>;

void count_text(DocumentMemo& memo, TermCounts& out, std::string_view text) {
  for (const auto& t : memo.index_terms(text)) ++out[t];
}

// The boolean terms of a variant into `doc`, its text terms counted into `text`.
void add_terms(DocumentMemo& memo, Xapian::Document& doc, TermCounts& text, const SkuRecord& r) {
  add_bool(doc, prefix::kSku, r.sku_id);
  add_bool(doc, prefix::kItem, r.item_id);
  add_bool(doc, prefix::kShop, r.shop_id);

  count_text(memo, text, r.title);
  if (!r.brand.empty()) {
    add_bool(doc, prefix::kBrand, memo.filter_key(r.brand));
    // "CHANDO/自然堂": each alias is a filter key too.
    if (r.brand.find('/') != std::string::npos)
      for (const auto& alias : category_levels(r.brand)) {
        size_t slash = alias.rfind('/');
        add_bool(doc, prefix::kBrand, memo.filter_key(slash == std::string::npos ? alias : alias.substr(slash + 1)));
      }
    count_text(memo, text, r.brand);
  }
  auto levels = category_levels(r.category);
  for (const auto& level : levels) add_bool(doc, prefix::kCategory, memo.filter_key(level));
  if (!levels.empty()) {
    const std::string& leaf = levels.back();
    size_t slash = leaf.rfind('/');
    count_text(memo, text, slash == std::string::npos ? leaf : leaf.substr(slash + 1));
  }
  for (const auto& [k, v] : r.attrs) {
    std::string kv = memo.filter_key(k);  // a copy: the next look-up may start the memo afresh
    kv += '=';
    kv += memo.filter_key(v);
    add_bool(doc, prefix::kAttr, kv);
    count_text(memo, text, v);
  }
}

std::string num(double v) { return Xapian::sortable_serialise(v); }

RankPack rank_pack_of(const SkuRecord& r, const ListingSignals& g, uint64_t hash) {
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
  return p;
}

// A variant's entry of the table; slots 20-27 as the document of one SKU had them (absent
// without integrity).
VariantEntry variant_entry(const SkuRecord& r, const ListingValues& v, uint64_t hash) {
  VariantEntry out;
  out.pack = rank_pack_of(r, v.signals, hash);
  if (v.integrity) {
    const ListingIntegrity& g = *v.integrity;
    auto& x = out.integrity;
    x[slot::kPenalty - slot::kPenalty] = num(g.penalty);
    x[slot::kDupCluster - slot::kPenalty] = g.dup_kind ? g.dup_cluster : std::string();
    x[slot::kDupKind - slot::kPenalty] = g.dup_kind ? std::string(1, g.dup_kind) : std::string();
    x[slot::kSalesTrust - slot::kPenalty] = num(g.sales_trust);
    x[slot::kShopPenalty - slot::kPenalty] = num(g.shop_penalty);
    x[slot::kShopViolations - slot::kPenalty] = num(double(g.shop_violations));
    x[slot::kShopBlocked - slot::kPenalty] = num(g.shop_blocked ? 1.0 : 0.0);
    x[slot::kIntegrityFlags - slot::kPenalty] = g.reasons;
  }
  out.attrs = r.attrs;
  return out;
}

constexpr size_t kMaxTableString = 0xFFFF, kMaxTableAttrs = 255;  // as the variant table cuts them
bool table_keeps(std::string_view s) { return s.size() <= kMaxTableString; }

// A variant's data line (schema 5): what its entry of the variant table does not carry. The title
// (on the table's first line, and on another line only when it differs from the first line's),
// the display fields, the verdict object when flagged, and any identity field or attribute list
// the table had to cut. A variant of the usual item (its titles alike, nothing flagged) writes `{}`.
std::string data_line(const SkuRecord& r, const SkuRecord& head, bool first, const ListingValues& v) {
  std::string line;
  line.reserve(first ? 32 + r.title.size() : 8);
  json::Writer w(line);
  w.object();
  if (!table_keeps(r.sku_id)) w.field("sku_id", r.sku_id);
  if (!table_keeps(r.item_id)) w.field("item_id", r.item_id);
  if (!table_keeps(r.shop_id)) w.field("shop_id", r.shop_id);
  if (first || r.title != head.title) w.field("title", r.title);
  if (!table_keeps(r.category)) w.field("category", r.category);
  if (!table_keeps(r.brand)) w.field("brand", r.brand);
  bool attrs_kept = r.attrs.size() <= kMaxTableAttrs;
  for (const auto& [k, a] : r.attrs) attrs_kept = attrs_kept && table_keeps(k) && table_keeps(a);
  if (!attrs_kept) {
    w.key("attrs").object();
    for (const auto& [k, a] : r.attrs) w.field(k, a);
    w.end();
  }
  if (!r.fields.empty()) w.field("fields", r.fields);
  // Last, so that read_item() finds the object's text at the line's end.
  if (v.integrity && v.integrity->flagged()) w.field_raw("integrity", v.integrity->verdict_json);
  w.end();
  return line;
}

// The variants in table order (sku_id order).
std::vector<size_t> table_order(std::span<const SkuRecord> variants) {
  std::vector<size_t> order(variants.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return variants[a].sku_id < variants[b].sku_id; });
  return order;
}

// Every value slot and the data of an item document (the data set only when it changes). Each
// variant's own title words come from its titles through `memo`, or else from `kept` (sku_id ->
// the words an existing table had: values rewritten, titles unchanged).
using KeptWords = std::unordered_map<std::string, std::vector<std::string>>;
void put_item_values(Xapian::Document& doc, std::span<const SkuRecord> variants, std::span<const ListingValues> values,
                     const std::vector<size_t>& order, bool set_data_always, DocumentMemo* memo,
                     KeptWords* kept = nullptr) {
  if (variants.empty() || variants.size() != values.size())
    throw std::invalid_argument("write_document: an item needs variants, each with its values");
  std::vector<VariantEntry> table;
  table.reserve(order.size());
  std::string data;
  double sales = 0, listed = 0, prior = 0, rating = 0;
  std::optional<double> min_price, max_price;  // over the variants with a price
  std::string dup_cluster, dup_kind, reasons;
  // Each variant's own title words: those not every variant's title has (an item of one
  // variant has none).
  std::vector<std::vector<std::string>> own(order.size());
  // Variants sharing one title (the usual case) have none: no title to analyze.
  const bool one_title = std::all_of(order.begin(), order.end(),
                                     [&](size_t i) { return variants[i].title == variants[order.front()].title; });
  if (order.size() > 1 && memo && !one_title) {
    std::vector<std::vector<std::string>> words(order.size());
    std::unordered_map<std::string, size_t> in;  // word -> variants whose title has it
    for (size_t k = 0; k < order.size(); ++k) {
      words[k] = memo->index_terms(variants[order[k]].title);
      std::sort(words[k].begin(), words[k].end());
      words[k].erase(std::unique(words[k].begin(), words[k].end()), words[k].end());
      for (const auto& w : words[k]) ++in[w];
    }
    for (size_t k = 0; k < order.size(); ++k)
      for (auto& w : words[k])
        if (in[w] < order.size()) own[k].push_back(std::move(w));
  } else if (kept) {
    for (size_t k = 0; k < order.size(); ++k)
      if (auto it = kept->find(variants[order[k]].sku_id); it != kept->end()) own[k] = std::move(it->second);
  }
  bool first = true;
  size_t at_k = 0;
  for (size_t i : order) {
    const SkuRecord& r = variants[i];
    const ListingValues& v = values[i];
    std::string line = encode_stored(r);
    const uint64_t hash = XXH3_64bits(line.data(), line.size());
    table.push_back(variant_entry(r, v, hash));
    table.back().words = std::move(own[at_k++]);
    if (!first) data += '\n';
    data += data_line(r, variants[order.front()], first, v);
    if (r.price_known) {
      const double eff = r.effective_price();
      min_price = min_price ? std::min(*min_price, eff) : eff;
      max_price = max_price ? std::max(*max_price, eff) : eff;
    }
    sales += double(r.sales_30d);
    listed = first ? double(r.listed_at) : std::max(listed, double(r.listed_at));
    prior = first ? v.signals.prior : std::max(prior, v.signals.prior);
    rating = first ? v.signals.rating : std::max(rating, v.signals.rating);
    if (v.integrity) {
      const ListingIntegrity& g = *v.integrity;
      if (g.dup_kind && dup_kind.empty()) {
        dup_kind = std::string(1, g.dup_kind);
        dup_cluster = g.dup_cluster;
      }
      // The union of the variants' reason names, in first-seen order.
      size_t at = 0;
      while (at <= g.reasons.size() && !g.reasons.empty()) {
        size_t end = g.reasons.find(',', at);
        if (end == std::string::npos) end = g.reasons.size();
        const std::string name = g.reasons.substr(at, end - at);
        bool have = false;
        for (size_t p = 0; p < reasons.size();) {
          size_t e = reasons.find(',', p);
          if (e == std::string::npos) e = reasons.size();
          if (reasons.compare(p, e - p, name) == 0) have = true;
          p = e + 1;
        }
        if (!have && !name.empty()) reasons += (reasons.empty() ? "" : ",") + name;
        at = end + 1;
      }
    }
    first = false;
  }
  const SkuRecord& head = variants[order.front()];
  doc.add_value(slot::kItemId, head.item_id);
  // An item none of whose variants has a price: slot 4 is +infinity and slot 13 absent, so no
  // price range admits it (VALUE_LE on 4, VALUE_GE on 13) and both price sorts list it last.
  set_number(doc, slot::kEffectivePrice, min_price.value_or(HUGE_VAL));
  if (max_price) set_number(doc, slot::kMaxEffectivePrice, *max_price);
  set_number(doc, slot::kSales30d, sales);
  set_number(doc, slot::kListedAt, listed);
  set_number(doc, slot::kStaticPrior, prior);
  set_number(doc, slot::kRatingSignal, rating);
  // An empty value removes a slot.
  doc.add_value(slot::kDupCluster, dup_cluster);
  doc.add_value(slot::kDupKind, dup_kind);
  doc.add_value(slot::kIntegrityFlags, reasons);
  doc.add_value(slot::kStage1Key, encode_stage1_key(head.sku_id, table));
  // Unchanged data is not set again: on a document read back from a shard Xapian then leaves the
  // data alone (no compression and write; the update fast path, docs/index-format.md).
  if (set_data_always || data != doc.get_data()) doc.set_data(std::move(data));
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
  return write_document(memo, std::span<const SkuRecord>(&r, 1), std::span<const ListingValues>(&v, 1));
}

Xapian::Document write_document(const analysis::Analyzer& analyzer, std::span<const SkuRecord> variants,
                                std::span<const ListingValues> values) {
  DocumentMemo memo(analyzer);
  return write_document(memo, variants, values);
}

Xapian::Document write_document(DocumentMemo& memo, std::span<const SkuRecord> variants, std::span<const ListingValues> values) {
  Xapian::Document doc;
  const std::vector<size_t> order = table_order(variants);
  TermCounts item, one;
  for (size_t i : order) {
    one.clear();
    add_terms(memo, doc, one, variants[i]);
    if (order.size() == 1) {
      item.swap(one);
      break;
    }
    for (const auto& [t, n] : one) {
      auto& w = item[t];
      w = std::max(w, n);
    }
  }
  for (const auto& [t, n] : item) doc.add_term(t, n);
  put_item_values(doc, variants, values, order, true, &memo);
  return doc;
}

void rewrite_values(Xapian::Document& doc, std::span<const SkuRecord> variants, std::span<const ListingValues> values) {
  // The titles stay: each variant's own words are taken from the old variant table, unanalyzed.
  KeptWords kept;
  thread_local std::vector<ListingKey> old;
  if (decode_item_key(doc.get_value(slot::kStage1Key), old))
    for (auto& e : old)
      if (!e.words.empty()) kept[e.pack.sku] = std::move(e.words);
  doc.clear_values();
  put_item_values(doc, variants, values, table_order(variants), false, nullptr, &kept);
}

std::string_view variant_line(std::string_view data, size_t i) {
  size_t at = 0;
  for (size_t k = 0; k < i; ++k) {
    at = data.find('\n', at);
    if (at == std::string_view::npos) return {};
    ++at;
  }
  size_t end = data.find('\n', at);
  return data.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
}

size_t variant_index(std::string_view stage1_key, std::string_view sku) { return find_variant(stage1_key, sku); }

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

namespace {
// The members of a data line over `out`: those the line has replace out's, the others stay.
// `titled`: whether the line has a title. False if the line is not a JSON object.
bool merge_stored(std::string_view line, SkuRecord& out, bool* titled = nullptr) {
  thread_local simdjson::dom::parser parser;
  simdjson::padded_string padded(line);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc)) return false;
  simdjson::dom::object obj;
  if (doc.get(obj)) return false;
  for (auto [k, v] : obj) {
    if (k == "sku_id") out.sku_id = std::string(v.get_string().value_unsafe());
    else if (k == "item_id") out.item_id = std::string(v.get_string().value_unsafe());
    else if (k == "shop_id") out.shop_id = std::string(v.get_string().value_unsafe());
    else if (k == "title") {
      out.title = std::string(v.get_string().value_unsafe());
      if (titled) *titled = true;
    } else if (k == "category") out.category = std::string(v.get_string().value_unsafe());
    else if (k == "brand") out.brand = std::string(v.get_string().value_unsafe());
    else if (k == "attrs") {
      out.attrs.clear();
      simdjson::dom::object attrs = v.get_object().value_unsafe();
      for (auto [ak, av] : attrs)
        out.attrs.emplace_back(std::string(ak), std::string(av.get_string().value_unsafe()));
    } else if (k == "fields") {
      out.fields = std::string(v.get_string().value_unsafe());
    }  // "integrity" (a flagged listing's verdict) is decode_integrity()'s
  }
  return true;
}
}  // namespace

bool decode_stored(std::string_view data, SkuRecord& out) {
  out = SkuRecord{};
  return merge_stored(data, out);
}

namespace {
void take_numbers(const RankPack& p, SkuRecord& out) {
  out.price = p.price;
  out.price_known = p.price_known;
  out.shipping_fee = p.shipping_fee;
  out.sales_30d = int64_t(p.sales_30d);
  out.reviews = int64_t(p.reviews);
  out.good_reviews = int64_t(p.good_reviews);
  out.listed_at = int64_t(p.listed_at);
}
}  // namespace

bool read_record(const Xapian::Document& doc, SkuRecord& out) { return read_record(doc, doc.get_data(), out); }

namespace {
// A variant's record from its table entry with its data line's members over it (`titled`: the
// line has a title) and the numbers from its rank pack. False if the line is damaged.
bool join_variant(std::string_view line, const ListingKey& key, SkuRecord& out, bool& titled) {
  out = SkuRecord{};
  const RankPack& p = key.pack;
  out.sku_id = p.sku;
  out.item_id = p.item;
  out.shop_id = p.shop;
  out.category = p.category;
  out.brand = p.brand;
  out.attrs = key.attrs;
  titled = false;
  if (!merge_stored(line, out, &titled)) return false;
  take_numbers(p, out);
  return true;
}
}  // namespace

bool read_variant(std::string_view data, const ListingKey& key, size_t i, SkuRecord& out) {
  bool titled = false;
  if (!join_variant(variant_line(data, i), key, out, titled)) return false;
  if (!titled && i > 0) {
    auto title = variant_title(data, 0);
    if (!title) return false;
    out.title = std::move(*title);
  }
  return true;
}

std::optional<std::string> variant_title(std::string_view data, size_t i) {
  SkuRecord r;
  bool titled = false;
  if (!merge_stored(variant_line(data, i), r, &titled)) return std::nullopt;
  if (titled || i == 0) return std::move(r.title);
  return variant_title(data, 0);
}

bool read_record(const Xapian::Document& doc, std::string_view data, SkuRecord& out) {
  ListingKey key;
  if (!decode_listing_key(doc.get_value(slot::kStage1Key), key)) return false;
  return read_variant(data, key, 0, out);
}

bool read_record(const Xapian::Document& doc, std::string_view data, std::string_view sku, SkuRecord& out) {
  thread_local std::vector<ListingKey> table;
  if (!decode_item_key(doc.get_value(slot::kStage1Key), table)) return false;
  for (size_t i = 0; i < table.size(); ++i) {
    if (table[i].pack.sku != sku) continue;
    return read_variant(data, table[i], i, out);
  }
  return false;
}

bool read_item(const Xapian::Document& doc, std::string_view data, std::vector<SkuRecord>& records,
               std::vector<ListingValues>* values) {
  const std::string key = doc.get_value(slot::kStage1Key);
  std::vector<ListingKey> table;
  std::vector<Stage1Key> raw;
  if (!decode_item_key(key, table) || !decode_stage1_table(key, raw)) return false;
  records.assign(table.size(), SkuRecord{});
  if (values) values->assign(table.size(), ListingValues{});
  for (size_t i = 0; i < table.size(); ++i) {
    const std::string_view line = variant_line(data, i);
    bool titled = false;
    if (!join_variant(line, table[i], records[i], titled)) return false;
    if (!titled && i > 0) records[i].title = records[0].title;  // line 0's, read just before
    if (!values) continue;
    ListingValues& v = (*values)[i];
    const RankPack& p = table[i].pack;
    v.signals = {p.prior, p.sales_signal, p.rating_signal, p.shop_signal};
    // An index built with integrity writes slots 20-27 for every variant: the penalty is there.
    if (!raw[i].integrity[0].empty()) {
      ListingIntegrity g = table[i].integrity;
      // The verdict object is the line's last member (data_line); a quote inside a string is
      // escaped, so the key's text cannot occur inside one.
      if (size_t at = line.find("\"integrity\":{"); at != std::string_view::npos && g.flagged())
        g.verdict_json = std::string(line.substr(at + 12, line.size() - 1 - (at + 12)));
      v.integrity = std::move(g);
    }
  }
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
