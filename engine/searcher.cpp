// longtail::Searcher: a pool of Xapian handles over the live IndexState (Xapian::Database is not
// thread-safe, so each concurrent query borrows its own handle).
#include <filesystem>
#include <map>
#include <mutex>
#include <vector>

#include <longtail/longtail.h>

#include "engine/index_state.h"
#include "engine/profile.h"
#include "engine/search.h"

namespace longtail {

using engine::IndexState;

struct Searcher::Impl {
  std::string dir;
  mutable std::mutex mu;
  std::shared_ptr<const IndexState> state;  // guarded by mu
  // Free handles for `state`; handles of an older state are dropped when returned.
  mutable std::vector<std::pair<std::shared_ptr<const IndexState>, std::unique_ptr<Xapian::Database>>> pool;

  struct Lease {
    const Impl* impl;
    std::shared_ptr<const IndexState> state;
    std::unique_ptr<Xapian::Database> db;
    ~Lease() {
      std::lock_guard lk(impl->mu);
      if (state == impl->state && impl->pool.size() < 64) impl->pool.emplace_back(state, std::move(db));
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

  Lease lease() const {
    std::unique_lock lk(mu);
    auto st = state;
    while (!pool.empty()) {
      auto entry = std::move(pool.back());
      pool.pop_back();
      if (entry.first == st) return Lease{this, st, std::move(entry.second)};
    }
    lk.unlock();
    return Lease{this, st, std::make_unique<Xapian::Database>(st->open_database())};
  }
};

Searcher::Searcher(const std::string& index_dir) : impl_(std::make_shared<Impl>()) {
  impl_->dir = index_dir;
  impl_->state = engine::open_index_state(index_dir);
  // Open one handle now so that an unreachable or damaged shard fails here, not at the first query.
  impl_->pool.emplace_back(impl_->state, std::make_unique<Xapian::Database>(impl_->state->open_database()));
}

Searcher::~Searcher() = default;
Searcher::Searcher(Searcher&&) noexcept = default;
Searcher& Searcher::operator=(Searcher&&) noexcept = default;

SearchResult Searcher::search(const SearchRequest& request) const {
  auto profile = impl_->profile(request.profile);  // before the lease: a bad profile is a UsageError
  auto lease = impl_->lease();
  try {
    return engine::run_search(*lease.state, *lease.db, request, *profile);
  } catch (const Xapian::DatabaseModifiedError&) {
    lease.db->reopen();  // a writer committed meanwhile: retry once on the new revision
    return engine::run_search(*lease.state, *lease.db, request, *profile);
  } catch (const Xapian::Error& e) {
    lease.db.reset();  // do not return a possibly broken handle to the pool
    throw DataError(impl_->dir + ": " + e.get_description());
  }
}

void Searcher::reopen() {
  std::string gen = index::live_generation(impl_->dir);
  {
    std::lock_guard lk(impl_->mu);
    if (impl_->state && gen == impl_->state->generation_dir) {
      for (auto& [st, db] : impl_->pool) db->reopen();  // same generation: pick up new commits
      return;
    }
  }
  auto fresh = engine::open_index_state(impl_->dir);
  std::lock_guard lk(impl_->mu);
  impl_->state = std::move(fresh);
  impl_->pool.clear();
}

IndexInfo Searcher::info() const {
  std::shared_ptr<const IndexState> st;
  {
    std::lock_guard lk(impl_->mu);
    st = impl_->state;
  }
  IndexInfo i;
  i.path = impl_->dir;
  i.schema_version = st->manifest.schema_version;
  i.analyzer = st->manifest.analyzer;
  i.lexicon_checksum = st->manifest.lexicon_checksum;
  i.shards = st->manifest.shards;
  i.skus = st->manifest.skus;
  i.items = st->manifest.items;
  i.shops = st->manifest.shops;
  i.built_at = st->manifest.built_at;
  return i;
}

const char* version() { return LONGTAIL_VERSION; }

}  // namespace longtail
