// Stage-1 columns: the values stage 1 reads for every matching listing, held in memory per local
// shard, so that a relevance query reads no value block for them (docs/perf-history.md,
// "Session 7").
//
// On a large index most of a broad query's time is one 8 KB block read per value per matching
// listing: its static prior (slot 9, the prior posting source) and its stage-1 key (slot 29,
// relevance ties by sku_id). With columns, the prior comes from PriorColumnSource and the tie-break
// from SkuKeyMaker, both reading arrays indexed by document id; stage 2 reads the stage-1 key of
// the candidates only. The hits are those of the values (tests/test_columns.cpp), except where
// Xapian 1.4's ValueWeightPostingSource stops adding the prior too early (docs/ranking.md,
// "Stage-1 columns"): the columns give every listing its prior.
//
// Columns are loaded from the shards' value streams (a sequential scan) for one exact set of shard
// revisions and are valid for those only; a Searcher (SearcherOptions::stage1_columns) reloads
// them when its snapshots move to a new update batch. Remote shards have none: a custom posting
// source cannot run on Xapian's remote server (xapian-progsrv under `longtail serve`).
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <xapian.h>

#include "engine/index_state.h"
#include "engine/snapshot.h"

namespace longtail::engine {

// One shard's columns, indexed by the shard's own document ids (1..last_docid).
struct ShardColumns {
  std::string uuid;            // the shard's Xapian uuid: how a posting source finds its shard
  std::vector<double> prior;   // slot 9; NaN where the document has none (or does not exist)
  std::vector<uint32_t> sku_at;  // sku_id of document d: skus[sku_at[d], sku_at[d + 1])
  std::string skus;
  Xapian::doccount with_prior = 0;
  std::string_view sku(Xapian::docid d) const {
    if (d + 1 >= sku_at.size()) return {};
    return std::string_view(skus).substr(sku_at[d], sku_at[d + 1] - sku_at[d]);
  }
};

struct Stage1Columns {
  std::shared_ptr<const IndexState> state;  // the generation they were read from
  std::vector<Xapian::rev> revisions;        // each shard's revision they were read at
  std::vector<ShardColumns> shards;          // in the combined database's order
  const ShardColumns* by_uuid(const std::string& uuid) const;
  // Whether these columns describe `snap` exactly (same generation, same shard revisions).
  bool matches(const IndexState& st, const ShardSnapshot& snap) const;
};

// Reads the columns of every shard of `snap` at its current revisions. Returns nullptr when they
// cannot serve it: a remote shard, shards not at one update batch, two shards with one uuid, or
// a shard modified while it was read. Throws DataError for a damaged stage-1 key.
std::shared_ptr<const Stage1Columns> load_stage1_columns(std::shared_ptr<const IndexState> state,
                                                         ShardSnapshot& snap);

// Which shard one query's match is in. Xapian 1.4 hands a KeyMaker the shard's own document id,
// not the combined one, and its MergePostList matches the shards one after another; each
// shard's PriorColumnSource (positioned on a shard's listing before that listing is weighed and
// keyed) records its shard here for the SkuKeyMaker of the same query.
struct Stage1Cursor {
  const ShardColumns* shard = nullptr;
};

// The static prior of each document from the columns: what Xapian::ValueWeightPostingSource over
// slot 9 gives, without reading the slot. Local shards only (it is not registered remotely).
class PriorColumnSource : public Xapian::PostingSource {
 public:
  PriorColumnSource(std::shared_ptr<const Stage1Columns> cols, std::shared_ptr<Stage1Cursor> cursor)
      : cols_(std::move(cols)), cursor_(std::move(cursor)) {}
  PriorColumnSource* clone() const override { return new PriorColumnSource(cols_, cursor_); }
  std::string name() const override { return "longtail::PriorColumnSource"; }
  void init(const Xapian::Database& db) override;
  Xapian::doccount get_termfreq_min() const override { return shard_ ? shard_->with_prior : 0; }
  Xapian::doccount get_termfreq_est() const override { return get_termfreq_min(); }
  Xapian::doccount get_termfreq_max() const override { return get_termfreq_min(); }
  void next(double min_wt) override;
  void skip_to(Xapian::docid did, double min_wt) override;
  bool check(Xapian::docid did, double min_wt) override;
  bool at_end() const override;
  Xapian::docid get_docid() const override { return did_; }
  double get_weight() const override { return shard_->prior[did_]; }
  std::string get_description() const override { return "PriorColumnSource()"; }

 private:
  bool has(Xapian::docid d) const { return d < shard_->prior.size() && !std::isnan(shard_->prior[d]); }
  std::shared_ptr<const Stage1Columns> cols_;
  std::shared_ptr<Stage1Cursor> cursor_;
  const ShardColumns* shard_ = nullptr;
  Xapian::docid did_ = 0;
};

// Relevance ties ordered by sku_id, as the stage-1 key orders them (it starts with the sku_id and
// a NUL byte): from the columns of the cursor's shard, or from the document's stage-1 key before
// any shard is known.
class SkuKeyMaker : public Xapian::KeyMaker {
 public:
  explicit SkuKeyMaker(std::shared_ptr<const Stage1Cursor> cursor) : cursor_(std::move(cursor)) {}
  std::string operator()(const Xapian::Document& doc) const override;

 private:
  std::shared_ptr<const Stage1Cursor> cursor_;
};

}  // namespace longtail::engine
