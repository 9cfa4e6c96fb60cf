// libFuzzer target: the JSONL record parsers (SKU and shop lines) and the stored-field round trip.
// Any input must parse or be rejected with a field and a reason; an accepted SKU must survive
// encode_stored -> decode_stored unchanged (the update fast path relies on that round trip).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "index/catalog.h"
#include "index/document.h"

using namespace longtail;

namespace {
void require(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static index::RecordParser parser;
  const std::string_view line(reinterpret_cast<const char*>(data), size);
  RecordError err;
  index::SkuRecord rec;
  if (parser.parse_sku(line, rec, err)) {
    require(!rec.sku_id.empty() && rec.sku_id.size() <= index::kMaxIdBytes);
    require(rec.deleted || (!rec.title.empty() && rec.title.size() <= index::kMaxTitleBytes));
    require(rec.price >= 0 && rec.price <= 1e12 && rec.good_reviews <= rec.reviews);
    index::SkuRecord back;
    require(index::decode_stored(index::encode_stored(rec), back));
    require(back.sku_id == rec.sku_id && back.item_id == rec.item_id && back.shop_id == rec.shop_id &&
            back.title == rec.title && back.category == rec.category && back.brand == rec.brand &&
            back.attrs == rec.attrs && back.sales_30d == rec.sales_30d && back.reviews == rec.reviews &&
            back.listed_at == rec.listed_at);
  } else {
    require(!err.field.empty() && !err.reason.empty());
  }
  index::ShopRecord shop;
  err = RecordError{};
  if (!parser.parse_shop(line, shop, err)) require(!err.field.empty() && !err.reason.empty());
  index::parse_iso_time(line);
  return 0;
}
