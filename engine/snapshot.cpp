#include "engine/snapshot.h"

#include <algorithm>
#include <thread>

#include <longtail/longtail.h>

#include "index/index_dir.h"
#include "index/updater.h"

namespace longtail::engine {

std::unique_ptr<ShardSnapshot> open_snapshot(const IndexState& state) {
  auto snap = std::make_unique<ShardSnapshot>();
  for (size_t i = 0; i < state.manifest.shard_paths.size(); ++i) {
    snap->shards.push_back(state.open_shard(i));
    snap->db.add_database(snap->shards.back());
  }
  sync_snapshot(state, *snap);
  return snap;
}

bool sync_snapshot(const IndexState& state, ShardSnapshot& snap) {
  const auto deadline = std::chrono::steady_clock::now() + kSyncTimeout;
  auto pause = std::chrono::milliseconds(1);
  bool moved = false;
  std::vector<uint64_t> batch(snap.shards.size());
  for (;;) {
    for (size_t i = 0; i < snap.shards.size(); ++i) {
      const std::string& name = state.manifest.shard_paths[i];
      try {
        if (snap.shards[i].reopen()) moved = true;
        batch[i] = index::shard_batch(snap.shards[i]);
      } catch (const Xapian::Error& e) {
        throw DataError(state.index_dir + ": cannot read shard \"" + name + "\": " + e.get_description());
      } catch (const DataError& e) {
        throw DataError(state.index_dir + ": shard \"" + name + "\": " + e.what());
      }
    }
    const auto [lo, hi] = std::minmax_element(batch.begin(), batch.end());
    snap.batch = batch.empty() ? 0 : *hi;
    snap.consistent = batch.empty() || *lo == *hi;
    if (snap.consistent || !index::writer_running(state.index_dir) || std::chrono::steady_clock::now() > deadline)
      return moved;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

}  // namespace longtail::engine
