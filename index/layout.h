// The Xapian document layout of one SKU. docs/index-format.md explains every entry; change both
// together and bump kSchemaVersion when the layout changes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace longtail::index {

inline constexpr int kSchemaVersion = 1;

// Term prefixes. Unprefixed terms are text terms (title, brand, category and attribute words).
namespace prefix {
inline constexpr std::string_view kSku = "Q";        // Q<sku_id>: unique id term
inline constexpr std::string_view kItem = "XI";      // XI<item_id>
inline constexpr std::string_view kShop = "XS";      // XS<shop_id>
inline constexpr std::string_view kBrand = "XB";     // XB<normalized brand> (every alias)
inline constexpr std::string_view kCategory = "XC";  // XC<path level> for every level
inline constexpr std::string_view kAttr = "XA";      // XA<key>=<value> (normalized)
}  // namespace prefix

// Value slots (numbers are Xapian::sortable_serialise'd doubles).
namespace slot {
inline constexpr unsigned kItemId = 0;          // string: collapse key
inline constexpr unsigned kSkuId = 1;           // string: tie-break for deterministic order
inline constexpr unsigned kPrice = 2;
inline constexpr unsigned kShippingFee = 3;
inline constexpr unsigned kEffectivePrice = 4;  // price + shipping fee: sorts and range filters
inline constexpr unsigned kSales30d = 5;
inline constexpr unsigned kReviews = 6;
inline constexpr unsigned kGoodReviews = 7;
inline constexpr unsigned kListedAt = 8;        // Unix seconds
inline constexpr unsigned kStaticPrior = 9;     // query-independent quality in [0, 1]
inline constexpr unsigned kShopId = 10;         // string: shop diversity in stage 2
inline constexpr unsigned kFirstSignal = 16;    // 16.. : signals (index/signals.h)
}  // namespace slot

}  // namespace longtail::index
