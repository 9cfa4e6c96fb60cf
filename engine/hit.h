// Hits from stored records: the fields every hit takes from its SKU's record (a search's page,
// Searcher::get), and one SKU by sku_id.
#pragma once

#include <optional>
#include <string>

#include <xapian.h>

#include <longtail/longtail.h>

#include "engine/index_state.h"
#include "format/record.h"

namespace longtail::engine {

// A hit at `rank` with the record's stored fields (sku_id, item_id, shop_id, title, category,
// brand) and display fields, moved out of `r`; the caller sets the numbers.
Hit hit_from_record(index::SkuRecord&& r, uint32_t rank);

// The SKU whose unique id term (index::prefix::kSku) is `sku_id` in `db` (local or remote shards),
// or nullopt. Throws DataError for damaged stored fields; Xapian errors pass through.
std::optional<Hit> lookup_sku(const IndexState& state, Xapian::Database& db, const std::string& sku_id);

}  // namespace longtail::engine
