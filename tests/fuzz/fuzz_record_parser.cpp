// libFuzzer target: the JSONL record parsers (SKU and shop lines) and the stored-field round trip.
// Any input must parse or be rejected with a field and a reason; an accepted SKU must survive
// encode_stored -> decode_stored unchanged (the update fast path relies on that round trip), and
// record_json -> parse_sku gives the same record.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "index/catalog.h"
#include "format/document.h"

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
            back.attrs == rec.attrs && back.fields == rec.fields);
    require(rec.fields.size() <= index::kMaxDisplayFieldsBytes);
    // The record as a catalog line parses back to the same record (deltas written by tools).
    if (!rec.deleted) {
      static index::RecordParser again;
      index::SkuRecord line_back;
      RecordError err2;
      require(again.parse_sku(index::record_json(rec), line_back, err2) && index::same_record(line_back, rec));
    }
  } else {
    require(!err.field.empty() && !err.reason.empty());
  }
  index::ShopRecord shop;
  err = RecordError{};
  if (!parser.parse_shop(line, shop, err)) require(!err.field.empty() && !err.reason.empty());
  index::parse_iso_time(line);
  return 0;
}
