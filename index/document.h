// SkuRecord <-> Xapian::Document: terms, values and the stored fields.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <xapian.h>

#include "analyzers/analyzer.h"
#include "index/schema.h"

namespace longtail::index {

// Normalized filter key for brands, categories, attribute keys/values and shop ids: the
// analyzer's normalization with whitespace removed, so "Nike " and "ＮＩＫＥ" filter alike.
std::string filter_key(const analysis::Analyzer& analyzer, std::string_view s);

// Builds the document of one SKU (terms, values, data). Thread-safe for distinct outputs.
// `static_prior` goes into slot::kStaticPrior.
Xapian::Document make_document(const analysis::Analyzer& analyzer, const SkuRecord& r,
                               double static_prior);

// Sets every part of a SKU's document that does not come from text analysis: the values of the
// record and its static prior, and the stored data. Terms are left alone, so on a document read
// back from a shard, replace_document() rewrites only values and data: the update fast path for
// signal-only changes (index/updater.cpp). make_document() calls it; put new record-derived
// values here so both paths write them.
void set_record_fields(Xapian::Document& doc, const SkuRecord& r, double static_prior);

// A SKU as a variant of its item (slot::kVariant): item_id, sku_id and the attributes in
// catalog order. Binary: version byte 1, then item, sku, each attribute key and value as
// (2-byte little-endian length, bytes), with one byte for the attribute count before the pairs.
struct VariantPack {
  std::string item, sku;
  std::vector<std::pair<std::string, std::string>> attrs;
};
std::string encode_variant_pack(const SkuRecord& r);
bool decode_variant_pack(std::string_view data, VariantPack& out);  // false if damaged or absent

// The stored fields (document data) as compact JSON, and back.
std::string encode_stored(const SkuRecord& r);
bool decode_stored(std::string_view data, SkuRecord& out);

// JSON string escaping (RFC 8259) appended to out, with the surrounding quotes.
void append_json_string(std::string& out, std::string_view s);

}  // namespace longtail::index
