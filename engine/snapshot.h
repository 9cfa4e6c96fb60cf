// A consistent view of a generation's shards: every shard at the same update batch
// (index/updater.h), so a query sees an update batch wholly or not at all. One query thread uses a
// snapshot at a time (Xapian handles are not thread-safe); Searcher keeps a pool of them.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include <xapian.h>

#include <longtail/longtail.h>

#include "engine/index_state.h"

namespace longtail::engine {

struct ShardSnapshot {
  Xapian::Database db;                   // every shard combined: what queries run on
  std::vector<Xapian::Database> shards;  // each shard alone, sharing db's open tables
  uint64_t batch = 0;                    // the update batch the shards are at (the highest if !consistent)
  bool consistent = true;                // false: shards at different batches (see sync_snapshot)
};

// A remote shard's connection broke (connection_lost below): its server closed an idle connection
// (`longtail serve --idle-timeout`), restarted or is gone. Opening the shard afresh may succeed.
class ShardConnectionError : public DataError {
 public:
  using DataError::DataError;
};

// Whether `e` means the connection is gone, so that opening the shard afresh may succeed: any
// network error but this client's own timeout waiting for a slow server. A server that timed out
// waiting for this client (`longtail serve --idle-timeout`) sends its timeout error ("REMOTE:...")
// before it closes the connection, which then arrives as the answer to the next request.
inline bool connection_lost(const Xapian::NetworkError& e) {
  return std::string_view(e.get_type()) != "NetworkTimeoutError" || e.get_msg().rfind("REMOTE:", 0) == 0;
}

// How long a reader waits for a running updater to commit the rest of a batch. Batches commit
// their shards back to back, so a consistent state normally appears within milliseconds.
inline constexpr std::chrono::milliseconds kSyncTimeout{10000};

// Opens every shard of `state` and syncs them (below). Throws DataError naming the shard if one
// cannot be opened or read.
std::unique_ptr<ShardSnapshot> open_snapshot(const IndexState& state);

// Moves every shard to its latest revision such that all agree on the update batch; returns true
// if any shard moved. While an updater is between its shard commits this waits for it (sleeping
// 1-20 ms at a time, at most kSyncTimeout). With no updater running the shards are reopened
// again until two passes read the same batches (updaters may have committed and finished between
// two shards' reopens); if they then still disagree (one crashed mid-batch; the next update
// completes the batch) or the wait times out, the shards are used as they are and `consistent`
// is false. Throws DataError if a shard cannot be read, ShardConnectionError if it was remote and
// its connection broke.
bool sync_snapshot(const IndexState& state, ShardSnapshot& snap);

}  // namespace longtail::engine
