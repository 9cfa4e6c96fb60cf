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

// THE WRITER of an item's document (schema 3: one document per item); the builder, the updater
// and optimize write documents only through these. write_document(): a new document of the
// item whose variants are `variants` (SKUs sharing item_id; any order, each with its values at
// the same index): Q<sku_id> of every variant, XI, XS, XB, XC, XA of every variant (the union),
// the text terms of every variant's title, brand, leaf category and attribute values (a term in
// several variants' texts takes the largest wdf, not the sum), the data (one stored-fields line
// per variant with what the variant table does not carry: the title, the display fields and the
// verdict object when flagged; variant_line(), read_variant()), the item's value slots
// (format/layout.h: min/max effective price, sales summed, newest listing, best prior and rating)
// and the stage-1 key with the variant table (variants in sku_id order). Thread-safe for distinct
// outputs.
Xapian::Document write_document(DocumentMemo& memo, std::span<const SkuRecord> variants, std::span<const ListingValues> values);
Xapian::Document write_document(const analysis::Analyzer& analyzer, std::span<const SkuRecord> variants,
                                std::span<const ListingValues> values);
// An item of one variant.
Xapian::Document write_document(DocumentMemo& memo, const SkuRecord& r, const ListingValues& v);
Xapian::Document write_document(const analysis::Analyzer& analyzer, const SkuRecord& r, const ListingValues& v);

// rewrite_values(): the values of an existing item document whose terms stay (the update fast
// path: every variant's stored fields hash as before but maybe the display fields). Every value
// is written again (the old ones cleared unread); the data is set only when it changes (display
// fields or a verdict), so Xapian leaves it alone otherwise.
void rewrite_values(Xapian::Document& doc, std::span<const SkuRecord> variants, std::span<const ListingValues> values);

// XXH3 of a record's stored fields (RankPack::stored_hash).
uint64_t stored_hash(const SkuRecord& r);

// The data line of variant `i` (table order) of an item document's data (schema 5): a JSON object
// with what the variant's entry of the variant table does not carry — "title" (on line 0, and on
// another line only when its title differs from line 0's), "fields" (display fields), the
// verdict object "integrity" (last) when flagged, and any of sku_id, item_id, shop_id, category,
// brand or attrs the table had to cut (longer than 65,535 bytes; over 255 attributes). Usually
// `{}` after line 0. Empty if there is no such line. read_variant() joins line and table.
std::string_view variant_line(std::string_view data, size_t i);
// Variant `i`'s whole record: its entry of the variant table (`key`: decode_item_key's i-th)
// with its data line over it, the title from line 0 when its line has none, and the numbers from
// the rank pack. False if the line is missing or damaged.
bool read_variant(std::string_view data, const ListingKey& key, size_t i, SkuRecord& out);
// Variant `i`'s title alone (line i's, else line 0's); none if the line is missing or damaged.
std::optional<std::string> variant_title(std::string_view data, size_t i);
// The table index of variant `sku` in the stage-1 key; npos if the item has no such variant.
size_t variant_index(std::string_view stage1_key, std::string_view sku);

// Every variant of a stored item document, in table order: its whole record (stored fields and
// numbers) and, with `values`, the values it was written with (signals from the rank pack,
// integrity from the table and the stored verdict object). False if damaged.
bool read_item(const Xapian::Document& doc, std::string_view data, std::vector<SkuRecord>& records,
               std::vector<ListingValues>* values = nullptr);

// The stored fields (document data) as compact JSON, and back: the fields terms come from
// (sku_id, item_id, shop_id, title, category, brand, attrs), so that a change of numbers leaves
// the data as it is (Xapian then does not compress and write it again), and the display fields
// (SkuRecord::fields) as a string member "fields" holding their object text, absent when there
// are none (data written before display fields existed decodes with none). decode_stored() leaves
// the numbers at their defaults.
std::string encode_stored(const SkuRecord& r);
bool decode_stored(std::string_view data, SkuRecord& out);

// A stored item document's variant record: decode_stored() of its data line, with the numbers
// (price, shipping_fee, sales_30d, reviews, good_reviews, listed_at) from its rank pack in the
// variant table (format/values.h): the item's first variant, or the variant `sku`. False if either
// part is damaged or the item has no such variant.
bool read_record(const Xapian::Document& doc, SkuRecord& out);
// The same with the stored-fields string given (a serving shard keeps it outside the document).
bool read_record(const Xapian::Document& doc, std::string_view data, SkuRecord& out);
bool read_record(const Xapian::Document& doc, std::string_view data, std::string_view sku, SkuRecord& out);

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
