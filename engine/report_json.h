// JSON of the library's reports shared by the front ends (the CLI's --json, the HTTP service),
// written with the one JSON writer (common/json_writer.h). Search results: longtail::to_json.
#pragma once

#include <longtail/longtail.h>

#include "common/json_writer.h"

namespace longtail::engine {

// The counts of an UpdateSummary as members of the open object, in the order `longtail update
// --json` prints them: records, added, reindexed, values_only, unchanged, deleted,
// delete_missing, shops_changed, shop_skus, dup_partners, rejected, batches, repaired, skus,
// items, synonyms_replaced, synonym_rules, seconds. The errors are the caller's (each front end
// has its form).
void update_summary_members(json::Writer& w, const UpdateSummary& s);

}  // namespace longtail::engine
