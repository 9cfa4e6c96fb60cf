#include "engine/index_state.h"

#include <filesystem>
#include <sstream>

#include <longtail/longtail.h>

#include "index/builder.h"
#include "index/catalog.h"

namespace fs = std::filesystem;

namespace longtail::engine {

Xapian::Database IndexState::open_database() const {
  Xapian::Database db;
  for (size_t i = 0; i < manifest.shard_paths.size(); ++i) db.add_database(open_shard(i));
  return db;
}

Xapian::Database IndexState::open_shard(size_t i) const {
  const std::string& shard = manifest.shard_paths.at(i);
  Xapian::Database db;
  try {
    if (shard.rfind("tcp ", 0) == 0) {
      std::istringstream in(shard.substr(4));
      std::string host;
      unsigned port = 0;
      if (!(in >> host >> port) || port == 0 || port > 65535)
        throw DataError(generation_dir + "/manifest.json: bad remote shard \"" + shard + "\"");
      db = Xapian::Remote::open(host, port, 10000, 10000);
    } else {
      db = Xapian::Database((fs::path(generation_dir) / shard).string(), Xapian::DB_BACKEND_GLASS);
    }
  } catch (const Xapian::Error& e) {
    throw DataError(index_dir + ": cannot open shard \"" + shard + "\": " + e.get_description());
  }
  // Identity (Manifest::index_id): the shard must be this index's shard i, not another index's
  // (a remote shard of another deployment) nor another shard of this one (two swapped).
  if (!manifest.index_id.empty()) {
    const std::string want = manifest.index_id + ":" + std::to_string(i);
    std::string got;
    try {
      got = db.get_metadata(index::kShardIdentityKey);
    } catch (const Xapian::Error& e) {
      throw DataError(index_dir + ": cannot read the identity of shard " + std::to_string(i) + ": " + e.get_description());
    }
    if (got != want)
      throw DataError(index_dir + ": shard " + std::to_string(i) + " (" + (shard.rfind("tcp ", 0) == 0 ? shard : "a local shard") +
                      ") is " + (got.empty() ? std::string("not a shard of any longtail index with an identity") : "shard \"" + got + "\"") +
                      ", not shard " + std::to_string(i) + " of this index (" + manifest.index_id +
                      "): a foreign index's shard or two shards swapped");
  }
  return db;
}

std::string IndexState::stored_data(const Xapian::Document& doc, Xapian::docid did) const {
  if (stored.empty()) return doc.get_data();
  // Xapian interleaves the shards' document ids: combined id d is shard (d-1) % n, id (d-1)/n + 1.
  const size_t n = stored.size();
  return stored[(did - 1) % n]->get((did - 1) / n + 1);
}

const IndexState::Correction& IndexState::loaded_correction() const {
  Correction& c = *correction_;
  std::call_once(c.once, [&] {
    try {
      c.pinyin = analysis::Pinyin::load_default();
    } catch (const analysis::AnalysisError&) {
      c.pinyin = nullptr;  // a damaged table in the build tree: pinyin off, searches unaffected
    }
    const std::string path = generation_dir + "/" + index::kSpellingFile;
    if (!fs::exists(path)) return;
    try {
      c.spelling = index::SpellingVocabulary::load(path);
    } catch (const Error&) {
      c.spelling = nullptr;  // damage is `longtail check`'s to report; searches run uncorrected
    }
  });
  return c;
}

std::shared_ptr<const analysis::Pinyin> IndexState::pinyin() const { return loaded_correction().pinyin; }

std::shared_ptr<const index::SpellingVocabulary> IndexState::spelling() const { return loaded_correction().spelling; }

std::shared_ptr<const IndexState> open_index_state(const std::string& index_dir) {
  auto st = std::make_shared<IndexState>();
  st->index_dir = index_dir;
  st->generation_dir = index::live_generation(index_dir);
  st->manifest = index::read_manifest(st->generation_dir);
  index::check_compatible(st->manifest, index_dir);
  std::shared_ptr<const analysis::Lexicon> lexicon;
  try {
    lexicon = analysis::Lexicon::load(st->generation_dir + "/lexicon.bin");
  } catch (const analysis::AnalysisError& e) {
    throw DataError(index_dir + ": lexicon: " + e.what());
  }
  if (lexicon->checksum() != st->manifest.lexicon_checksum)
    throw DataError(index_dir + ": lexicon.bin does not match the manifest's checksum (damaged index)");
  st->analyzer = std::make_shared<const analysis::Analyzer>(lexicon);
  if (st->manifest.serving)
    for (const auto& shard : st->manifest.shard_paths)
      st->stored.push_back(index::StoredReader::open((fs::path(st->generation_dir) / shard / index::kStoredFile).string()));
  // Synonym rules (index/synonyms.h), parsed with the index's analyzer. They were checked when
  // stored, so a line refused now is damage.
  // The team's rules first, then the brand aliases the build learned.
  index::SynonymSet rules;
  for (const char* name : {index::kSynonymsFile, index::kBrandAliasesFile}) {
    const std::string path = st->generation_dir + "/" + name;
    if (!fs::exists(path)) continue;
    try {
      index::merge_synonyms(rules, index::parse_synonyms(index::read_synonyms_text(path), name, *st->analyzer));
    } catch (const UsageError& e) {
      throw DataError(index_dir + ": " + e.what() + " (damaged; `longtail check` verifies it, `longtail update --synonyms` replaces the rules)");
    }
  }
  if (!rules.empty()) st->synonyms = std::make_shared<const index::SynonymSet>(std::move(rules));
  std::string shops = st->generation_dir + "/shops.jsonl";
  if (fs::exists(shops)) {
    index::RejectSink sink(OnError::Fail, "");
    st->shops = index::read_shops(shops, sink);
  }
  return st;
}

}  // namespace longtail::engine
