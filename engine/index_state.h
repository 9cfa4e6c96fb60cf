// An opened index generation: manifest, lexicon, analyzer and shop table, shared read-only by all
// queries on it. Searcher swaps to a new IndexState on reopen() when CURRENT changed.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <xapian.h>

#include "analyzers/analyzer.h"
#include "index/index_dir.h"
#include "format/record.h"
#include "format/stored.h"
#include "analyzers/pinyin.h"
#include "index/spelling.h"
#include "index/synonyms.h"

namespace longtail::engine {

struct IndexState {
  std::string index_dir;
  std::string generation_dir;
  index::Manifest manifest;
  std::shared_ptr<const analysis::Analyzer> analyzer;
  std::unordered_map<std::string, index::ShopRecord> shops;
  // The index's synonym rules (index/synonyms.h); null when it has none.
  std::shared_ptr<const index::SynonymSet> synonyms;

  // Query correction (engine/correct.h), loaded on the first query that needs it: the process's
  // pinyin table (null when none was built in) and the generation's spelling vocabulary (null
  // when the generation has none, e.g. built before it existed, or it is unreadable: `longtail
  // check` reports damage; searches then run uncorrected).
  std::shared_ptr<const analysis::Pinyin> pinyin() const;
  std::shared_ptr<const index::SpellingVocabulary> spelling() const;

  // Opens all shards as one Xapian::Database (local paths or "tcp HOST PORT" remotes).
  // Throws DataError naming the shard if one cannot be opened.
  Xapian::Database open_database() const;
  // Opens shard i (0-based) alone, the same way.
  Xapian::Database open_shard(size_t i) const;

  // Serving shards (manifest.serving): each shard's stored-fields blocks; empty otherwise.
  std::vector<std::shared_ptr<const index::StoredReader>> stored;
  // The stored-fields string of document `did` of the combined database (open_database()):
  // from the shard's block store for serving shards, else the document's data. Throws DataError.
  std::string stored_data(const Xapian::Document& doc, Xapian::docid did) const;

 private:
  struct Correction {
    std::once_flag once;
    std::shared_ptr<const analysis::Pinyin> pinyin;
    std::shared_ptr<const index::SpellingVocabulary> spelling;
  };
  // Shared by copies of the state (the same generation).
  std::shared_ptr<Correction> correction_ = std::make_shared<Correction>();
  const Correction& loaded_correction() const;
};

// Opens and checks the live generation of an index: UsageError (not an index),
// IndexMismatchError (other schema/analyzer), DataError (damaged).
std::shared_ptr<const IndexState> open_index_state(const std::string& index_dir);

}  // namespace longtail::engine
