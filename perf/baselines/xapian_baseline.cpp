// Plain Xapian peer (perf/baselines/baselines.h).
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>

#include <xapian.h>

#include "index/catalog.h"
#include "perf/baselines/baselines.h"
#include "perf/baselines/text_fields.h"

namespace fs = std::filesystem;

namespace longtail::perf::baselines {

namespace {
constexpr Xapian::valueno kItemSlot = 0;  // item_id: collapse key
constexpr size_t kChunkLines = 256;
}  // namespace

BuildStats xapian_build(const std::string& catalog, const std::string& out_dir, int threads) {
  if (threads < 1 || threads > 64) throw UsageError("xapian-build: --threads must be between 1 and 64");
  auto t0 = std::chrono::steady_clock::now();
  fs::create_directories(out_dir);
  index::LineReader reader(catalog);
  std::mutex reader_mu;
  std::exception_ptr error;
  std::vector<uint64_t> counts(size_t(threads), 0);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      try {
        char name[32];
        std::snprintf(name, sizeof name, "/shard-%03d", t);
        Xapian::WritableDatabase db(out_dir + name, Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_BACKEND_GLASS);
        Xapian::TermGenerator tg;
        tg.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
        index::RecordParser parser;
        std::vector<std::string> chunk;
        index::SkuRecord rec;
        for (;;) {
          chunk.clear();
          {
            std::lock_guard lk(reader_mu);
            if (error) return;
            index::LineReader::Line line;
            while (chunk.size() < kChunkLines && reader.next(line))
              if (!line.too_long) chunk.emplace_back(line.text);
          }
          if (chunk.empty()) break;
          for (const auto& text : chunk) {
            RecordError err;
            if (!parser.parse_sku(text, rec, err) || rec.deleted) continue;
            Xapian::Document doc;
            tg.set_document(doc);
            for_each_text_field(rec, [&](std::string_view field) {
              tg.index_text(std::string(field));
              tg.increase_termpos();
            });
            doc.add_boolean_term("Q" + rec.sku_id);
            doc.add_value(kItemSlot, rec.item_id);
            doc.set_data(rec.item_id + "\t" + rec.title);
            db.add_document(doc);
            ++counts[size_t(t)];
          }
        }
        db.commit();
      } catch (const Xapian::Error& e) {
        std::lock_guard lk(reader_mu);
        if (!error) error = std::make_exception_ptr(DataError("xapian-build: " + e.get_description()));
      } catch (...) {
        std::lock_guard lk(reader_mu);
        if (!error) error = std::current_exception();
      }
    });
  }
  for (auto& w : workers) w.join();
  if (error) std::rethrow_exception(error);
  BuildStats s;
  for (auto c : counts) s.docs += c;
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return s;
}

namespace {

class XapianEngine : public Engine {
 public:
  XapianEngine(const std::string& dir, int threads) {
    std::vector<std::string> shards;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_directory() && e.path().filename().string().rfind("shard-", 0) == 0) shards.push_back(e.path().string());
    if (shards.empty()) throw UsageError(dir + ": no shard-NNN databases (run xapian-build first)");
    std::sort(shards.begin(), shards.end());
    for (int t = 0; t < threads; ++t) {
      Xapian::Database db;
      for (const auto& s : shards) db.add_database(Xapian::Database(s));
      dbs_.push_back(std::move(db));
    }
  }

  std::vector<RankedItem> search_items(const std::string& query, uint32_t limit, int thread) const override {
    try {
      return run(dbs_.at(size_t(thread)), query, limit);
    } catch (const Xapian::Error& e) {
      throw DataError("xapian: query \"" + query + "\": " + e.get_description());
    }
  }

 private:
  // Xapian 1.4's QueryParser rejects some mixed CJK/Latin/digit strings even without operator
  // flags ("嘉实多 SUV 米白色 机油 17寸": "parse error"). Then the query is the AND of the terms
  // TermGenerator makes from it (the same CJK n-grams the documents were indexed with).
  static Xapian::Query fallback_query(const std::string& query) {
    Xapian::Document scratch;
    Xapian::TermGenerator tg;
    tg.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
    tg.set_document(scratch);
    tg.index_text(query);
    std::vector<std::string> terms(scratch.termlist_begin(), scratch.termlist_end());
    return Xapian::Query(Xapian::Query::OP_AND, terms.begin(), terms.end());
  }

  static std::vector<RankedItem> run(Xapian::Database& db, const std::string& query, uint32_t limit) {
    Xapian::QueryParser qp;
    qp.set_database(db);
    qp.set_default_op(Xapian::Query::OP_AND);
    Xapian::Query q;
    try {
      q = qp.parse_query(query, Xapian::QueryParser::FLAG_DEFAULT | Xapian::QueryParser::FLAG_CJK_NGRAM);
    } catch (const Xapian::QueryParserError&) {
      q = fallback_query(query);
    }
    Xapian::Enquire enq(db);
    enq.set_query(q);
    enq.set_weighting_scheme(Xapian::BM25Weight());
    enq.set_collapse_key(kItemSlot);
    Xapian::MSet mset = enq.get_mset(0, limit);
    std::vector<RankedItem> out;
    for (auto it = mset.begin(); it != mset.end(); ++it) {
      std::string data = it.get_document().get_data();
      out.push_back(RankedItem{data.substr(0, data.find('\t')), it.get_weight()});
    }
    return out;
  }

  mutable std::vector<Xapian::Database> dbs_;  // one per thread: a Database is not thread-safe
};

}  // namespace

std::unique_ptr<Engine> open_xapian(const std::string& dir, int threads) {
  try {
    return std::make_unique<XapianEngine>(dir, threads);
  } catch (const Xapian::Error& e) {
    throw DataError(dir + ": " + e.get_description());
  }
}

}  // namespace longtail::perf::baselines
