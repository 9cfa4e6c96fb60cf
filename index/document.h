// SkuRecord <-> Xapian::Document: terms, values and the stored fields.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <xapian.h>

#include "analyzers/analyzer.h"
#include "index/schema.h"

namespace longtail::index {

// Normalized filter key for brands, categories, attribute keys/values and shop ids: the
// analyzer's normalization with whitespace removed, so "Nike " and "ＮＩＫＥ" filter alike.
std::string filter_key(const analysis::Analyzer& analyzer, std::string_view s);

// Hash for unordered containers keyed by std::string and looked up by std::string_view
// (with std::equal_to<>): no temporary string per look-up.
struct StringViewHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// The analyses a document needs, remembered for the texts a catalog repeats: the title the
// variants of an item share, brands, category names, attribute keys and values. One per writer
// thread (not thread-safe); bounded (max_entries texts of each kind, then it starts afresh). A
// memo gives exactly what the analyzer gives: only the work is saved.
class DocumentMemo {
 public:
  static constexpr size_t kMaxEntries = 1 << 15;
  explicit DocumentMemo(const analysis::Analyzer& analyzer, size_t max_entries = kMaxEntries)
      : analyzer_(analyzer), max_entries_(max_entries) {}
  // The index terms of a text (analyze(text, Mode::Index) without punctuation, empty or too long
  // terms), in the analyzer's order, repeats kept.
  const std::vector<std::string>& index_terms(std::string_view text);
  const std::string& filter_key(std::string_view s);  // index::filter_key(analyzer, s)

 private:
  const analysis::Analyzer& analyzer_;
  size_t max_entries_;
  std::unordered_map<std::string, std::vector<std::string>, StringViewHash, std::equal_to<>> terms_;
  std::unordered_map<std::string, std::string, StringViewHash, std::equal_to<>> keys_;
};

// Builds the document of one SKU (terms, values, data). Thread-safe for distinct outputs.
// `static_prior` goes into slot::kStaticPrior. The signal and integrity values are added by their
// models, and finish_values() (index/signals.h) ends every document write.
Xapian::Document make_document(const analysis::Analyzer& analyzer, const SkuRecord& r,
                               double static_prior);
// The same, with a writer's memo (the build's shard writers: index/builder.cpp).
Xapian::Document make_document(DocumentMemo& memo, const SkuRecord& r, double static_prior);

// Sets the values of a SKU's document that come from its record (not from text analysis) and its
// static prior. Terms and data are left alone, so on a document read back from a shard,
// replace_document() rewrites only its values: the update fast path for signal-only changes
// (index/updater.cpp). make_document() calls it; put new record-derived values here so both
// paths write them.
void set_record_values(Xapian::Document& doc, const SkuRecord& r, double static_prior);

// A SKU as a variant of its item (slot::kVariant): item_id, sku_id and the attributes in
// catalog order. Binary: version byte 1, then item, sku, each attribute key and value as
// (2-byte little-endian length, bytes), with one byte for the attribute count before the pairs.
struct VariantPack {
  std::string item, sku;
  std::vector<std::pair<std::string, std::string>> attrs;
};
std::string encode_variant_pack(const SkuRecord& r);
bool decode_variant_pack(std::string_view data, VariantPack& out);  // false if damaged or absent

// The stored fields (document data) as compact JSON, and back: the fields terms come from
// (sku_id, item_id, shop_id, title, category, brand, attrs), so that a change of numbers leaves
// the data as it is (Xapian then does not compress and write it again), and the display fields
// (SkuRecord::fields) as a string member "fields" holding their object text, absent when there
// are none (data written before display fields existed decodes with none). decode_stored() leaves
// the numbers at their defaults.
std::string encode_stored(const SkuRecord& r);
bool decode_stored(std::string_view data, SkuRecord& out);

// A stored document's whole record: decode_stored() of its data, with the numbers (price,
// shipping_fee, sales_30d, reviews, good_reviews, listed_at) from the rank pack in its stage-1
// key (index/signals.h). False if either part is damaged.
bool read_record(const Xapian::Document& doc, SkuRecord& out);
// The same with the stored-fields string given (a serving shard keeps it outside the document).
bool read_record(const Xapian::Document& doc, std::string_view data, SkuRecord& out);

// The record as one catalog input line (JSON Lines, index/catalog.h): the stored fields, the
// display fields' members as written and the numbers. For generated deltas and tools.
std::string record_json(const SkuRecord& r);

// Whether two records would be stored alike: the stored fields and the numbers. Records, not
// bytes: a document's data may carry more (the integrity object).
bool same_record(const SkuRecord& a, const SkuRecord& b);

// The document's tier terms (prefix::kTier, written by `longtail optimize`), in term order.
std::vector<std::string> tier_terms(const Xapian::Document& doc);


}  // namespace longtail::index
