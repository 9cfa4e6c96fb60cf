// longtail::Searcher: a pool of Xapian handles over the live IndexState (Xapian::Database is not
// thread-safe, so each concurrent query borrows its own handle).
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <vector>
#include <utility>

#include <longtail/longtail.h>

#include "engine/columns.h"
#include "engine/index_state.h"
#include "engine/hit.h"
#include "engine/profile.h"
#include "engine/search.h"
#include "engine/snapshot.h"

namespace longtail {

using engine::IndexState;

namespace {

// Opens the live generation: its state and a snapshot of its shards. A build or optimize may
// publish a new generation between reading CURRENT and opening the last file; when CURRENT has
// moved on meanwhile, open again (a few times) instead of failing. A failure while CURRENT stays
// put is the index's own (damaged, missing): rethrown.
auto open_live(const std::string& dir) {
  for (int attempt = 0;; ++attempt) {
    const std::string gen = index::live_generation(dir);
    try {
      auto state = engine::open_index_state(dir);
      auto probe = engine::open_snapshot(*state);
      return std::make_pair(std::move(state), std::move(probe));
    } catch (...) {
      if (attempt >= 4 || index::live_generation(dir) == gen) throw;
    }
  }
}

}  // namespace

// Hidden: Searcher is exported (LONGTAIL_API), and its members would be too.
struct __attribute__((visibility("hidden"))) Searcher::Impl {
  std::string dir;
  mutable std::mutex mu;
  mutable std::shared_ptr<const IndexState> state;  // guarded by mu
  mutable uint64_t batch = 0;               // guarded by mu: newest update batch seen (monotonic)
  mutable index::Manifest manifest;         // guarded by mu: latest manifest read (counts for info())
  // Free snapshots for `state`; snapshots of an older state are dropped when returned.
  mutable std::vector<std::pair<std::shared_ptr<const IndexState>, std::unique_ptr<engine::ShardSnapshot>>> pool;
  // reopen()'s own view of the shards and of shops.jsonl, guarded by reopen_mu.
  mutable std::mutex reopen_mu;
  mutable std::unique_ptr<engine::ShardSnapshot> probe;
  mutable struct stat shops_stat {};
  mutable struct stat synonyms_stat {};  // the rules file (update --synonyms replaces it in place)
  // Stage-1 columns (SearcherOptions::stage1_columns) of the newest snapshot that asked for them.
  bool use_columns = false;
  mutable std::mutex columns_mu;  // guards columns
  mutable std::shared_ptr<const engine::Stage1Columns> columns;
  mutable std::mutex load_mu;     // held by the one query loading columns

  struct Lease {
    const Impl* impl;
    std::shared_ptr<const IndexState> state;
    std::unique_ptr<engine::ShardSnapshot> snap;
    std::shared_ptr<const engine::Stage1Columns> columns;  // describing snap exactly, or null
    bool pooled = false;  // snap was opened by an earlier query (its connections may have been closed since)
    ~Lease() {
      if (!snap) return;
      std::lock_guard lk(impl->mu);
      if (state == impl->state && impl->pool.size() < 64) impl->pool.emplace_back(state, std::move(snap));
    }
  };

  // Ranking profiles loaded from files, by path; reloaded when the file's mtime changes.
  mutable std::mutex profiles_mu;
  mutable std::map<std::string, std::pair<std::filesystem::file_time_type, std::shared_ptr<const engine::RankingProfile>>>
      profiles;

  std::shared_ptr<const engine::RankingProfile> profile(const std::string& path) const {
    if (path.empty()) return engine::default_profile();
    std::error_code ec;
    auto mtime = std::filesystem::last_write_time(path, ec);
    if (ec) throw UsageError(path + ": cannot read ranking profile");
    {
      std::lock_guard lk(profiles_mu);
      auto it = profiles.find(path);
      if (it != profiles.end() && it->second.first == mtime) return it->second.second;
    }
    auto p = std::make_shared<const engine::RankingProfile>(engine::load_profile_file(path));
    std::lock_guard lk(profiles_mu);
    profiles[path] = {mtime, p};
    return p;
  }

  // A snapshot at least as new as the newest batch this Searcher has seen, so that results never
  // go back in time once reopen() (or another query) saw a batch. A pooled one unless `fresh`.
  Lease lease(bool fresh, int attempt = 0) const {
    std::unique_lock lk(mu);
    auto st = state;
    const uint64_t want = batch;
    std::unique_ptr<engine::ShardSnapshot> snap;
    while (!fresh && !pool.empty() && !snap) {
      auto entry = std::move(pool.back());
      pool.pop_back();
      if (entry.first == st) snap = std::move(entry.second);
    }
    lk.unlock();
    const bool pooled = snap != nullptr;
    if (!snap) {
      try {
        snap = engine::open_snapshot(*st);
      } catch (...) {
        // The state's generation is gone: builds or optimizes published twice since this
        // Searcher last followed them (the previous generation is kept until the next swap).
        // Move to the live one, as reopen() would, and lease again.
        const std::string live = index::live_generation(dir);
        if (attempt >= 3 || live == st->generation_dir) throw;
        {
          std::lock_guard rl(reopen_mu);
          bool current;
          {
            std::lock_guard g(mu);
            current = state == st;
          }
          if (current) adopt_live(live);
        }
        return lease(fresh, attempt + 1);
      }
    } else if (snap->batch < want) engine::sync_snapshot(*st, *snap);
    saw(snap->batch);
    auto cols = columns_for(st, *snap);
    return Lease{this, st, std::move(snap), std::move(cols), pooled};
  }

  // Runs f(lease) on a leased snapshot. A pooled snapshot's remote shards may have been closed by
  // their servers since its last query (`longtail serve --idle-timeout`, a restart): then f runs
  // once more on shards opened afresh, which also reach the generation a server serves now. A
  // fresh snapshot's failure is the answer. (A broken connection while leasing is taken for a
  // pooled snapshot's: at worst a fresh one is tried twice.)
  template <class F>
  auto leased(F&& f) const -> decltype(f(std::declval<Lease&>())) {
    for (bool fresh = false;; fresh = true) {
      bool pooled = !fresh;
      try {
        auto l = lease(fresh);
        pooled = l.pooled;
        try {
          try {
            return f(l);
          } catch (const Xapian::DatabaseModifiedError&) {
            // An updater committed twice since this snapshot's revisions: move to the latest
            // complete batch and retry once.
            engine::sync_snapshot(*l.state, *l.snap);
            saw(l.snap->batch);
            l.columns = columns_for(l.state, *l.snap);
            return f(l);
          }
        } catch (const Xapian::NetworkError& e) {
          l.snap.reset();  // do not return a possibly broken handle to the pool
          if (engine::connection_lost(e)) throw engine::ShardConnectionError(dir + ": " + e.get_description());
          throw DataError(dir + ": " + e.get_description());
        } catch (const Xapian::Error& e) {
          l.snap.reset();
          throw DataError(dir + ": " + e.get_description());
        } catch (const DataError&) {
          l.snap.reset();
          throw;
        }
      } catch (const engine::ShardConnectionError&) {
        if (!pooled) throw;
        drop_pool();
      }
    }
  }

  // A remote shard's server closed a pooled snapshot's connection (its idle timeout; a restart):
  // the other pooled snapshots of that time are likely closed too, so they go as well.
  void drop_pool() const {
    std::lock_guard lk(mu);
    pool.clear();
  }

  // The columns of `snap`: the cached ones if they describe it, else read now by this query if no
  // other query is reading them (the others go on without columns meanwhile).
  std::shared_ptr<const engine::Stage1Columns> columns_for(const std::shared_ptr<const IndexState>& st,
                                                           engine::ShardSnapshot& snap) const {
    if (!use_columns || !snap.consistent) return nullptr;
    auto cached = [&]() -> std::shared_ptr<const engine::Stage1Columns> {
      std::lock_guard lk(columns_mu);
      return columns && columns->matches(*st, snap) ? columns : nullptr;
    };
    if (auto c = cached()) return c;
    std::unique_lock ll(load_mu, std::try_to_lock);
    if (!ll.owns_lock()) return nullptr;
    if (auto c = cached()) return c;  // loaded while this query waited for the lock
    auto c = engine::load_stage1_columns(st, snap);
    if (!c) return nullptr;
    std::lock_guard lk(columns_mu);
    columns = c;
    return c;
  }

  // Opens the live generation (`gen`, as CURRENT named it a moment ago) afresh and makes it this
  // Searcher's: state, probe, manifest, the stat of its shops and synonyms files; the pool of
  // snapshots of the old state goes. The caller holds reopen_mu.
  void adopt_live(const std::string& gen) const {
    auto shops = stat_of(gen + "/shops.jsonl");
    auto synonyms = stat_of(gen + "/" + index::kSynonymsFile);
    auto [fresh, fresh_probe] = open_live(dir);
    columns_for(fresh, *fresh_probe);
    std::lock_guard lk(mu);
    state = std::move(fresh);
    manifest = state->manifest;
    shops_stat = shops;
    synonyms_stat = synonyms;
    batch = fresh_probe->batch;
    probe = std::move(fresh_probe);
    pool.clear();
  }

  void saw(uint64_t b) const {
    std::lock_guard lk(mu);
    batch = std::max(batch, b);
  }

  static struct stat stat_of(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) st = {};
    return st;
  }
  static bool same_file(const struct stat& a, const struct stat& b) {
    return a.st_ino == b.st_ino && a.st_size == b.st_size && a.st_mtim.tv_sec == b.st_mtim.tv_sec &&
           a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
  }
};


Searcher::Searcher(const std::string& index_dir, const SearcherOptions& options) : impl_(std::make_shared<Impl>()) {
  impl_->dir = index_dir;
  impl_->use_columns = options.stage1_columns;
  // Opening the shards now reports a damaged shard here rather than at the first query.
  auto [state, probe] = open_live(index_dir);
  impl_->state = std::move(state);
  impl_->manifest = impl_->state->manifest;
  impl_->shops_stat = Impl::stat_of(impl_->state->generation_dir + "/shops.jsonl");
  impl_->synonyms_stat = Impl::stat_of(impl_->state->generation_dir + "/" + index::kSynonymsFile);
  impl_->probe = std::move(probe);
  impl_->batch = impl_->probe->batch;
  impl_->columns_for(impl_->state, *impl_->probe);  // read now, not at the first query
}

Searcher::~Searcher() = default;
Searcher::Searcher(Searcher&&) noexcept = default;
Searcher& Searcher::operator=(Searcher&&) noexcept = default;

SearchResult Searcher::search(const SearchRequest& request) const {
  auto profile = impl_->profile(request.profile);  // before the lease: a bad profile is a UsageError
  return impl_->leased([&](Impl::Lease& lease) {
    return engine::run_search(*lease.state, lease.snap->db, request, *profile, lease.columns);
  });
}

std::optional<Hit> Searcher::get(const std::string& sku_id) const {
  return impl_->leased([&](Impl::Lease& lease) { return engine::lookup_sku(*lease.state, lease.snap->db, sku_id); });
}

void Searcher::reopen() {
  std::lock_guard rl(impl_->reopen_mu);
  const std::string gen = index::live_generation(impl_->dir);
  std::shared_ptr<const IndexState> st;
  {
    std::lock_guard lk(impl_->mu);
    st = impl_->state;
  }
  auto shops = Impl::stat_of(gen + "/shops.jsonl");
  auto synonyms = Impl::stat_of(gen + "/" + index::kSynonymsFile);
  if (gen != st->generation_dir || !Impl::same_file(shops, impl_->shops_stat) ||
      !Impl::same_file(synonyms, impl_->synonyms_stat)) {
    // A new build, or an update changed the shops: open everything afresh.
    impl_->adopt_live(gen);
    return;
  }
  // Same generation: move the probe to the latest complete batch. Pooled snapshots follow when
  // they are next leased (a cheap reopen of each shard). A probe whose remote shards' servers
  // closed its connections since (idle timeout) is opened afresh.
  bool moved;
  try {
    moved = engine::sync_snapshot(*st, *impl_->probe);
  } catch (const engine::ShardConnectionError&) {
    impl_->probe = engine::open_snapshot(*st);
    moved = true;
  } catch (...) {
    // Two swaps since CURRENT was read above removed this generation: follow the live one.
    const std::string live = index::live_generation(impl_->dir);
    if (live == st->generation_dir) throw;
    impl_->adopt_live(live);
    return;
  }
  if (moved) impl_->columns_for(st, *impl_->probe);
  const uint64_t b = impl_->probe->batch;
  index::Manifest m;
  bool have_manifest = false;
  if (b > impl_->manifest.batch) {
    m = index::read_manifest(gen);  // written right after the batch's shards; may lag by one batch
    have_manifest = true;
  }
  std::lock_guard lk(impl_->mu);
  impl_->batch = std::max(impl_->batch, b);
  if (have_manifest) impl_->manifest = std::move(m);
}

IndexInfo Searcher::info() const {
  std::shared_ptr<const IndexState> st;
  {
    std::lock_guard lk(impl_->mu);
    st = impl_->state;
  }
  index::Manifest m;
  uint64_t batch = 0;
  {
    std::lock_guard lk(impl_->mu);
    m = impl_->manifest;
    batch = impl_->batch;
  }
  IndexInfo i;
  i.path = impl_->dir;
  i.batch = batch;
  i.updated_at = m.updated_at;
  i.schema_version = st->manifest.schema_version;
  i.analyzer = st->manifest.analyzer;
  i.lexicon_checksum = st->manifest.lexicon_checksum;
  i.shards = st->manifest.shards;
  i.skus = m.skus;
  i.items = m.items;
  i.shops = m.shops;
  i.built_at = st->manifest.built_at;
  i.generation = std::filesystem::path(st->generation_dir).filename().string();
  return i;
}

const char* version() { return LONGTAIL_VERSION; }

}  // namespace longtail
