// SkuRecord <-> Xapian::Document: terms, values and the stored fields. The one writer of a
// listing's document (write_document, rewrite_values) and the readers of its data and variant
// pack; format/values.h has the values and the one reader of the stage-1 key.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <xapian.h>

#include "analyzers/analyzer.h"
#include "format/record.h"
#include "format/values.h"

namespace longtail::index {

class StoredWriter;

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

// What a document is written with beside its record: the models' values.
struct ListingValues {
  ListingSignals signals;                      // index/signals.h SignalModel::signals
  std::optional<ListingIntegrity> integrity;   // IntegrityModel::values; none: an index built
                                               // without integrity (slots 20-27 stay absent)
};

// THE WRITER of a listing's document; the builder, the updater and optimize write documents
// only through these. write_document(): a new document: the terms of the record (text terms of
// title, brand, leaf category and attribute values; Q, XI, XS, XB, XC, XA booleans), its data
// (the stored fields, and the verdict object when flagged), every value slot and the stage-1 key
// (the carried slots folded in and dropped). Thread-safe for distinct outputs.
Xapian::Document write_document(DocumentMemo& memo, const SkuRecord& r, const ListingValues& v);
Xapian::Document write_document(const analysis::Analyzer& analyzer, const SkuRecord& r, const ListingValues& v);

// rewrite_values(): the values of an existing document whose terms stay (the update fast path:
// the record's title, category, brand, attributes, item and shop hash alike). Every value is
// written again (the old ones are cleared unread: changing one value of a fetched document makes
// Xapian load all of them first, a value-stream read per slot); the data is set only when the
// display fields or the stored verdict change, so Xapian leaves it alone otherwise.
struct Rewrite {
  std::optional<uint64_t> stored_hash;  // RankPack::stored_hash when known (read from the key)
  bool new_fields = false;              // the display fields changed: the data is written again
  bool data_has_verdict = false;        // the document's data holds a verdict object to replace
};
void rewrite_values(Xapian::Document& doc, const SkuRecord& r, const ListingValues& v, const Rewrite& how);

// XXH3 of a record's stored fields (RankPack::stored_hash).
uint64_t stored_hash(const SkuRecord& r);

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
// key (format/values.h). False if either part is damaged.
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
// Optimize's part of the writer: the tier terms of the document at `rank` of its shard's quality
// order, replacing any it had; tier i holds the ranks below tier_end[i] (nested, increasing).
void set_tier_terms(Xapian::Document& doc, std::span<const uint64_t> tier_end, uint64_t rank);
// A serving shard's document keeps no data: it goes to the shard's block store (format/stored.h)
// in document id order, and the document's data is left empty.
void move_data(Xapian::Document& doc, StoredWriter& store);


}  // namespace longtail::index
