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
  // Shards are reopened one after another, so updaters that commit and finish between two of
  // those reopens leave them disagreeing although nothing is half done: with no updater running,
  // the shards are reopened again until two passes in a row read the same batches (a crashed
  // batch stays put), then taken as they are.
  std::vector<uint64_t> last_pass;
  for (;;) {
    for (size_t i = 0; i < snap.shards.size(); ++i) {
      const std::string& name = state.manifest.shard_paths[i];
      try {
        if (snap.shards[i].reopen()) moved = true;
        batch[i] = index::shard_batch(snap.shards[i]);
      } catch (const Xapian::NetworkError& e) {
        const std::string what = state.index_dir + ": cannot read shard \"" + name + "\": " + e.get_description();
        if (connection_lost(e)) throw ShardConnectionError(what);
        throw DataError(what);
      } catch (const Xapian::Error& e) {
        throw DataError(state.index_dir + ": cannot read shard \"" + name + "\": " + e.get_description());
      } catch (const DataError& e) {
        throw DataError(state.index_dir + ": shard \"" + name + "\": " + e.what());
      }
    }
    const auto [lo, hi] = std::minmax_element(batch.begin(), batch.end());
    snap.batch = batch.empty() ? 0 : *hi;
    snap.consistent = batch.empty() || *lo == *hi;
    if (snap.consistent || std::chrono::steady_clock::now() > deadline) return moved;
    if (!index::writer_running(state.index_dir)) {
      if (batch == last_pass) return moved;  // a crashed batch: the next update completes it
      last_pass = batch;
      continue;
    }
    last_pass.clear();
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
}

}  // namespace longtail::engine
