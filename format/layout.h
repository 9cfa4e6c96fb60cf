// The Xapian document layout of one SKU. docs/index-format.md explains every entry; change both
// together and bump kSchemaVersion when the layout changes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace longtail::index {

inline constexpr int kSchemaVersion = 5;  // 5: data lines hold what the variant table does not; 4: the variant table compact (format byte 4); 3: one document per item
                                          // 2: carried slots (format/values.h kCarriedSlots), numbers out of the data

// One Xapian document per ITEM (schema 3): the variants (SKUs) of an item share its document;
// the per-variant data is the variant table in the stage-1 key (slot 29) and one stored-fields
// line per variant in the document data.

// Term prefixes. Unprefixed terms are text terms (title, brand, category and attribute words).
namespace prefix {
inline constexpr std::string_view kSku = "Q";        // Q<sku_id>: one per variant of the item
inline constexpr std::string_view kItem = "XI";      // XI<item_id>
inline constexpr std::string_view kShop = "XS";      // XS<shop_id>
inline constexpr std::string_view kBrand = "XB";     // XB<normalized brand> (every alias)
inline constexpr std::string_view kCategory = "XC";  // XC<path level> for every level
inline constexpr std::string_view kAttr = "XA";      // XA<key>=<value> (normalized)
// (XZ<term> was a stuffed title word kept out of matching; no longer written: docs/integrity.md.)
inline constexpr std::string_view kTier = "XT";      // XT<level>: among the best-prior share of its shard
                                                     // (Manifest::tier_shares[level]); written by optimize
inline constexpr std::string_view kItemHash = "XH";  // XH<16 hex digits of term_hash(item_id)>: finds the item of
                                                     // a duplicate print (index/integrity.h item_hash_term)
}  // namespace prefix

// Value slots (numbers are Xapian::sortable_serialise'd doubles). The writer computes all of them
// per variant; the slots marked "carried" below live only in the variant table of the stage-1
// key (slot 29). A stored item document keeps slots 0, 4 (min over variants), 5 (sum), 8 (newest),
// 9 (max), 13 (max effective price), 17 (max), 29 and, when some variant is flagged, 21, 22 (the
// first flagged variant's), 27 (the union of reasons). stored_value() reads them back; a carried
// slot reads as the item's first variant's.
namespace slot {
inline constexpr unsigned kItemId = 0;          // string: collapse key
inline constexpr unsigned kSkuId = 1;           // string: tie-break for deterministic order [carried]
inline constexpr unsigned kPrice = 2;  // [carried]
inline constexpr unsigned kShippingFee = 3;  // [carried]
// 4: the item's lowest effective price (price + shipping fee) over its variants with a price:
// price-asc sorts and range filters; +infinity when no variant has a price (listed last).
inline constexpr unsigned kEffectivePrice = 4;
inline constexpr unsigned kSales30d = 5;
inline constexpr unsigned kReviews = 6;  // [carried]
inline constexpr unsigned kGoodReviews = 7;  // [carried]
inline constexpr unsigned kListedAt = 8;        // Unix seconds
inline constexpr unsigned kStaticPrior = 9;     // query-independent quality in [0, 1]
inline constexpr unsigned kShopId = 10;         // string: shop diversity in stage 2 [carried]
inline constexpr unsigned kCategory = 11;       // string: leaf category path (facets, preferences) [carried]
inline constexpr unsigned kBrand = 12;          // string: brand as listed (facets, preferences) [carried]
// 13: the item's highest effective price (slot 4 holds its lowest): a price range keeps an item
// when some variant may be in it (min <= max of range, max >= min of range); price-desc sorts by it.
// Absent when no variant has a price: no range keeps the item, price-desc lists it last.
inline constexpr unsigned kMaxEffectivePrice = 13;
// 16-19: ranking signals written at build/update time (index/signals.h, docs/ranking.md).
inline constexpr unsigned kSalesSignal = 16;    // damped, category-relative sales in [0, 1] [carried]
inline constexpr unsigned kRatingSignal = 17;   // smoothed good-review rate in [0, 1]
inline constexpr unsigned kShopSignal = 18;     // shop reputation (DSR vs category, violations) in [0, 1] [carried]
inline constexpr unsigned kRankPack = 19;       // string: what stage 2 reads, packed (format/values.h RankPack) [carried]
// 20-27: listing integrity written at build/update time (index/integrity.h, docs/integrity.md).
inline constexpr unsigned kPenalty = 20;        // product of detector penalties in (0, 1]; 1 = clean [carried]
inline constexpr unsigned kDupCluster = 21;     // string: near-duplicate cluster id; empty = none
inline constexpr unsigned kDupKind = 22;        // string: "S" same-shop cluster, "X" cross-shop; empty = none
inline constexpr unsigned kSalesTrust = 23;     // in [0, 1]: how far sales are trusted (sham trades damp it) [carried]
inline constexpr unsigned kShopPenalty = 24;    // shop-level factor in (0, 1] (many duplicate clusters, ...) [carried]
inline constexpr unsigned kShopViolations = 25; // the shop's violations count [carried]
inline constexpr unsigned kShopBlocked = 26;    // 1 if the shop record says "blocked": true, else 0 [carried]
inline constexpr unsigned kIntegrityFlags = 27; // string: reason names joined by ','; absent = not flagged
// (28 held a SKU's variant pack in schema 2; the variant table in slot 29 replaces it.)
// 29: stage 1's sort key (format/values.h Stage1Key): the item's first sku_id, NUL, then the
// VARIANT TABLE: for each variant its slot 19 (rank pack), slots 20-27 and its attributes, so
// relevance ties are ordered by sku_id and stage 2 reads every candidate's variants from the
// match set itself, without fetching documents (one round trip each on a remote shard).
inline constexpr unsigned kStage1Key = 29;
inline constexpr unsigned kLast = kStage1Key;

// How a slot's value reads (inspection and tools): a sortable_serialise'd number, a string, or
// binary bytes (a pack or key).
enum class Kind { Number, String, Bytes };
constexpr Kind kind(unsigned s) {
  switch (s) {
    case kItemId: case kSkuId: case kShopId: case kCategory: case kBrand: case kDupCluster: case kDupKind:
    case kIntegrityFlags: return Kind::String;
    case kRankPack: case kStage1Key: return Kind::Bytes;
    default: return Kind::Number;
  }
}
}  // namespace slot

}  // namespace longtail::index
