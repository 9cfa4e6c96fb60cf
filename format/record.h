// Catalog records as longtail reads them from JSON Lines (see docs/index-format.md).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace longtail::index {

// Documented input limits.
inline constexpr size_t kMaxLineBytes = 1 << 20;   // a longer line is rejected whole
inline constexpr size_t kMaxIdBytes = 128;         // sku_id, item_id, shop_id
inline constexpr size_t kMaxTitleBytes = 600;      // UTF-8 bytes (about 200 Han characters)
inline constexpr size_t kMaxFieldBytes = 256;      // category, brand, attribute keys/values
inline constexpr size_t kMaxAttrs = 64;
// Display fields (SkuRecord::fields): their object text, all of a record's together.
inline constexpr size_t kMaxDisplayFieldsBytes = 16 << 10;

struct SkuRecord {
  std::string sku_id;      // required, unique within a build
  std::string item_id;     // defaults to sku_id; SKUs of one item are variants
  std::string shop_id;     // may be empty
  std::string title;       // required
  std::string category;    // "/" path, e.g. "女装/连衣裙"; may be empty
  std::string brand;
  std::vector<std::pair<std::string, std::string>> attrs;  // in input order
  // Display fields: the line's members longtail does not read (image, url, ...) as one JSON
  // object text, {"key":value,...}, keys and values byte for byte as written; empty when none.
  // Stored with the document and returned in hits (Hit::fields); never indexed.
  std::string fields;
  double price = 0;        // 0 when the line gives none (price_known false)
  double shipping_fee = 0;
  int64_t sales_30d = 0;
  int64_t reviews = 0;
  int64_t good_reviews = 0;
  // False when the catalog line has no "reviews" field: the count is unknown, not zero (sham
  // sales needs a review count that was given; docs/integrity.md).
  bool reviews_known = true;
  // False when the catalog line has no "price" (or "price": null): shown as "no price", not 0.00.
  // Filters, sorts and signals still read such a SKU's price as 0.
  bool price_known = true;
  int64_t listed_at = 0;   // Unix seconds, UTC; 0 = unknown
  bool deleted = false;    // updates only: remove this SKU

  double effective_price() const { return price + shipping_fee; }
};

struct ShopRecord {
  std::string shop_id;     // required
  std::string name;
  // Detailed seller ratings: six-month averages of buyer ratings, 1-5; 0 = no ratings.
  double dsr_description = 0, dsr_service = 0, dsr_shipping = 0, dsr_delivery = 0;
  int64_t ratings_6m = 0;  // how many ratings the averages rest on
  int64_t violations = 0;
  bool blocked = false;    // screened out of results by the marketplace
};

// The category path levels: "a/b/c" -> {"a", "a/b", "a/b/c"}.
std::vector<std::string> category_levels(const std::string& path);

}  // namespace longtail::index
