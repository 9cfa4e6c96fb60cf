// A listing's values: what the models computed for it (signals, integrity), the rank pack and
// the stage-1 key they are written as, and the one reader of that key. docs/index-format.md,
// "Values", describes the bytes; format/layout.h names the slots. The engine, the updater and
// the tools read a stored listing only through decode_listing_key() / stored_value() here, and
// only format/document.cpp writes values (write_document, rewrite_values).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <xapian.h>

#include "format/layout.h"

namespace longtail::index {

// The query-independent signals of a listing (index/signals.h SignalModel::signals computes
// them; docs/ranking.md has the formulas), each in [0, 1].
struct ListingSignals {
  double prior = 0;         // the static prior: stage 1's posting source
  double sales = 0;         // damped, category-relative sales
  double rating = 0;        // Wilson lower bound of the good-review rate
  double shop = 0.5;        // shop reputation
};

// What the integrity model decided for a listing (index/integrity.h IntegrityModel::values of a
// verdict), as written: clean values are the defaults. docs/integrity.md.
struct ListingIntegrity {
  double penalty = 1;            // product of detector penalties in (0, 1]
  double sales_trust = 1;        // how far sales are trusted
  double shop_penalty = 1;       // shop-level factor
  int64_t shop_violations = 0;
  bool shop_blocked = false;
  std::string dup_cluster;       // near-duplicate cluster id; empty = none
  char dup_kind = 0;             // 'S' same shop, 'X' cross-shop, 0 = none
  std::string reasons;           // reason names joined by ','; empty = not flagged
  std::string verdict_json;      // the stored "integrity" object; empty = not flagged
  bool flagged() const { return !reasons.empty(); }
};

// What stage 2 of ranking reads of a listing, packed into one value so the candidates cost one
// value read each instead of one per field (values live in separate B-tree streams per slot in
// glass). It is also where a stored document keeps the record's numbers (the document data holds
// only the fields terms come from; read_record() in format/document.h joins the two). Binary: a
// version byte (3), 10 little-endian doubles (price, shipping_fee, sales_30d, reviews,
// good_reviews, listed_at, prior, sales_signal, rating_signal, shop_signal), the little-endian
// 64-bit stored_hash, a flags byte (bit 0: the record has no price), then 5 strings (sku, item,
// shop, category, brand) each prefixed with a 2-byte little-endian length. effective_price is not
// stored: decoding computes price + shipping_fee. Version 2 (indexes built before version 3) is
// the same without the flags byte, and decodes with price_known true.
struct RankPack {
  double price = 0, shipping_fee = 0, effective_price = 0, sales_30d = 0, reviews = 0, good_reviews = 0,
         listed_at = 0;
  double prior = 0, sales_signal = 0, rating_signal = 0, shop_signal = 0.5;
  // XXH3 of the record's stored fields (encode_stored): an update whose record hashes alike
  // changes only numbers, and is told so without reading the document's data.
  uint64_t stored_hash = 0;
  bool price_known = true;  // SkuRecord::price_known (price is 0 when false)
  std::string sku, item, shop, category, brand;
};
std::string encode_rank_pack(const RankPack& p);
bool decode_rank_pack(std::string_view data, RankPack& out);  // false if damaged or another version

// Stage 1's sort key (slot::kStage1Key): the item's first sku_id (the smallest), a NUL byte (so
// keys sort as the sku_ids do), a format byte (4), then the VARIANT TABLE, compact: the number of
// variants, then for each variant in sku_id order its rank pack's fields, slots 20-27
// (slot::kPenalty .. slot::kIntegrityFlags) as that variant's values, its attributes and its own
// title words (the index terms of its title that not every variant's title has; none for an item
// of one variant). Strings repeated within a key (item, shop, category, brand, attribute names and
// values, integrity values) are written once and referred to after; numbers are varints when they
// are whole or whole cents, or "as the previous variant's"; every double decodes bit for bit as
// written. docs/index-format.md, "The variant table", has the bytes.
//
using Attrs = std::vector<std::pair<std::string, std::string>>;

// One variant's entry in its fields, as the writer has them: its rank pack's numbers and strings,
// slots 20-27 as values (empty = absent), attributes and own title words. Strings are cut at
// 65,535 bytes and attributes at 255, as the rank pack and encode_attrs cut them.
struct VariantEntry {
  RankPack pack;
  std::array<std::string, 8> integrity;
  Attrs attrs;
  std::vector<std::string> words;
};
std::string encode_stage1_key(std::string_view first_sku, const std::vector<VariantEntry>& variants);

// One variant's entry as the writer builds it and the updater and tools read it back: its rank
// pack (encode_rank_pack), slots 20-27 as values (empty = absent), attributes (encode_attrs) and
// own words (encode_words).
struct VariantValues {
  std::string rank_pack;
  std::array<std::string, 8> integrity;
  std::string attrs;
  std::string words;
};
// A decoded entry; `sku` is the key's sku_id (the item's first).
struct Stage1Key : VariantValues {
  std::string sku;
  std::string_view flags() const { return integrity[7]; }  // slot 27: non-empty = flagged
  std::string_view dup_kind() const { return integrity[slot::kDupKind - slot::kPenalty]; }
  std::string_view dup_cluster() const { return integrity[slot::kDupCluster - slot::kPenalty]; }
};
// The first variant's entry. False if damaged.
bool decode_stage1_key(std::string_view key, Stage1Key& out);
// Every variant's entry, in table order. False if damaged or empty.
bool decode_stage1_table(std::string_view key, std::vector<Stage1Key>& out);
// Throws std::invalid_argument if a piece does not decode (they come from the encoders here).
std::string encode_stage1_key(std::string_view first_sku, const std::vector<VariantValues>& variants);

// The table index of variant `sku` in a stage-1 key; npos if the item has no such variant or
// the key is damaged. Reads no more of the table than it must.
size_t find_variant(std::string_view key, std::string_view sku);

// A variant's attributes in catalog order: one byte for the count, then each key and value as
// (2-byte little-endian length, bytes).
std::string encode_attrs(const Attrs& attrs);
bool decode_attrs(std::string_view data, Attrs& out);
// A list of words: (2-byte little-endian length, bytes) each.
std::string encode_words(const std::vector<std::string>& words);
bool decode_words(std::string_view data, std::vector<std::string>& out);

// A stored variant as stage 2, the updater and the tools read it: its entry of the stage-1 key
// decoded. The integrity part has every value but verdict_json (the stored object is in the
// document data).
struct ListingKey {
  RankPack pack;
  ListingIntegrity integrity;
  Attrs attrs;
  std::vector<std::string> words;  // its own title words (Stage1Key::words)
};
// The one reader of slot::kStage1Key: decode_listing_key() the item's first variant,
// decode_item_key() every variant in table order. False if the key is damaged.
bool decode_listing_key(std::string_view key, ListingKey& out);
bool decode_item_key(std::string_view key, std::vector<ListingKey>& out);

// The slots a stored document does not keep because the variant table carries them.
inline constexpr std::array<unsigned, 16> kCarriedSlots = {
    slot::kSkuId,       slot::kPrice,       slot::kShippingFee, slot::kReviews,   slot::kGoodReviews,
    slot::kShopId,      slot::kCategory,    slot::kBrand,       slot::kSalesSignal, slot::kShopSignal,
    slot::kRankPack,    slot::kPenalty,     slot::kSalesTrust,  slot::kShopPenalty, slot::kShopViolations,
    slot::kShopBlocked};

constexpr bool is_carried(unsigned s) {
  for (unsigned c : kCarriedSlots)
    if (c == s) return true;
  return false;
}

// Slot `s` of a stored document as it was written before the carried slots were folded into the
// key: a carried slot is read back from the stage-1 key (the rank pack's numbers re-serialised),
// the others from the document. Empty when the slot is absent or the key is damaged. For
// inspection, tests and tools; the engine decodes the key once instead.
std::string stored_value(const Xapian::Document& doc, unsigned s);

}  // namespace longtail::index
