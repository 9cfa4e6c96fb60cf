#include "engine/columns.h"

#include <cmath>
#include <limits>
#include <set>

#include <longtail/longtail.h>

#include "format/layout.h"

namespace longtail::engine {

namespace slot = index::slot;

const ShardColumns* Stage1Columns::by_uuid(const std::string& uuid) const {
  for (const auto& s : shards)
    if (s.uuid == uuid) return &s;
  return nullptr;
}

bool Stage1Columns::matches(const IndexState& st, const ShardSnapshot& snap) const {
  if (state.get() != &st || !snap.consistent || snap.shards.size() != revisions.size()) return false;
  for (size_t i = 0; i < revisions.size(); ++i)
    if (snap.shards[i].get_revision() != revisions[i]) return false;
  return true;
}

namespace {

ShardColumns read_shard(const Xapian::Database& shard, const std::string& name) {
  ShardColumns c;
  c.uuid = shard.get_uuid();
  const Xapian::docid last = shard.get_lastdocid();
  c.prior.assign(size_t(last) + 1, std::numeric_limits<double>::quiet_NaN());
  for (auto v = shard.valuestream_begin(slot::kStaticPrior); v != shard.valuestream_end(slot::kStaticPrior); ++v) {
    const double p = Xapian::sortable_unserialise(*v);
    c.prior[v.get_docid()] = p;
    ++c.with_prior;
  }
  c.sku_at.reserve(size_t(last) + 2);
  c.sku_at.push_back(0);  // document 0 does not exist
  for (auto v = shard.valuestream_begin(slot::kStage1Key); v != shard.valuestream_end(slot::kStage1Key); ++v) {
    const std::string key = *v;
    const size_t nul = key.find('\0');
    if (nul == std::string::npos)
      throw DataError(name + ": damaged stage-1 key in document " + std::to_string(v.get_docid()));
    while (c.sku_at.size() <= v.get_docid()) c.sku_at.push_back(uint32_t(c.skus.size()));
    c.skus.append(key, 0, nul);
    if (c.skus.size() > std::numeric_limits<uint32_t>::max()) throw DataError(name + ": too many sku_ids for columns");
  }
  while (c.sku_at.size() < size_t(last) + 2) c.sku_at.push_back(uint32_t(c.skus.size()));
  return c;
}

}  // namespace

std::shared_ptr<const Stage1Columns> load_stage1_columns(std::shared_ptr<const IndexState> state,
                                                         ShardSnapshot& snap) {
  for (const auto& p : state->manifest.shard_paths)
    if (p.rfind("tcp ", 0) == 0) return nullptr;
  if (!snap.consistent) return nullptr;
  auto cols = std::make_shared<Stage1Columns>();
  std::set<std::string> uuids;
  try {
    for (size_t i = 0; i < snap.shards.size(); ++i) {
      cols->revisions.push_back(snap.shards[i].get_revision());
      cols->shards.push_back(read_shard(snap.shards[i], state->index_dir + ": shard \"" + state->manifest.shard_paths[i] + "\""));
      if (!uuids.insert(cols->shards.back().uuid).second) return nullptr;
    }
  } catch (const Xapian::DatabaseModifiedError&) {
    return nullptr;  // an updater moved on while the columns were read: the next query retries
  } catch (const Xapian::Error& e) {
    throw DataError(state->index_dir + ": reading stage-1 columns: " + e.get_description());
  }
  cols->state = std::move(state);
  return cols;
}

// ---- PriorColumnSource --------------------------------------------------------------------

void PriorColumnSource::init(const Xapian::Database& db) {
  shard_ = cols_->by_uuid(db.get_uuid());
  if (!shard_) throw Xapian::InvalidOperationError("longtail::PriorColumnSource: no columns for this shard");
  did_ = 0;
  // The bound ValueWeightPostingSource gives (the slot's upper bound, which may exceed every
  // value), so that Xapian's matcher takes the same shortcuts and sums weights in the same order:
  // the hits then match to the last bit, ties included.
  const std::string bound = db.get_value_upper_bound(slot::kStaticPrior);
  set_maxweight(bound.empty() ? 0.0 : Xapian::sortable_unserialise(bound));
}

// min_wt is not used to stop early. Xapian 1.4 hands a source under OP_SCALE_WEIGHT the minimum
// in scaled units (ExternalPostList passes it on unscaled by the factor), so a source comparing it
// with its own maximum, as ValueWeightPostingSource does, stops giving listings their prior
// while they still need it (docs/perf-history.md, "Session 7"). Reading the prior from memory costs
// nothing, so every listing gets it.
void PriorColumnSource::next(double) {
  cursor_->shard = shard_;
  do ++did_;
  while (did_ < shard_->prior.size() && !has(did_));
}

void PriorColumnSource::skip_to(Xapian::docid did, double min_wt) {
  cursor_->shard = shard_;
  if (did <= did_) return;
  did_ = did - 1;
  next(min_wt);
}

bool PriorColumnSource::check(Xapian::docid did, double) {
  // Exact: a document has a prior or not, known without moving anywhere else.
  cursor_->shard = shard_;
  if (did > did_) did_ = did;
  if (did_ >= shard_->prior.size()) return true;  // at_end() now says so
  return has(did_);
}

bool PriorColumnSource::at_end() const { return did_ >= shard_->prior.size(); }

// ---- SkuKeyMaker --------------------------------------------------------------------------

std::string SkuKeyMaker::operator()(const Xapian::Document& doc) const {
  if (cursor_->shard) return std::string(cursor_->shard->sku(doc.get_docid()));
  std::string key = doc.get_value(slot::kStage1Key);
  return key.substr(0, key.find('\0'));
}

}  // namespace longtail::engine
