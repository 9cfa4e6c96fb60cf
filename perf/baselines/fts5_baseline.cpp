// SQLite FTS5 peer fed longtail's own terms (perf/baselines/baselines.h).
#include <chrono>
#include <cmath>
#include <filesystem>

#include <sqlite3.h>

#include "analyzers/analyzer.h"
#include "index/catalog.h"
#include "index/index_dir.h"
#include "perf/baselines/baselines.h"
#include "perf/baselines/text_fields.h"

namespace fs = std::filesystem;

namespace longtail::perf::baselines {

namespace {

// The analyzer longtail searched the index with: its stored lexicon.
analysis::Analyzer index_analyzer(const std::string& longtail_index) {
  std::string gen = index::live_generation(longtail_index);
  return analysis::Analyzer(analysis::Lexicon::load(gen + "/lexicon.bin"));
}

[[noreturn]] void sql_fail(sqlite3* db, const std::string& what) {
  throw DataError("fts5: " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

void exec(sqlite3* db, const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string m = msg ? msg : "?";
    sqlite3_free(msg);
    throw DataError(std::string("fts5: ") + sql + ": " + m);
  }
}

struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) sql_fail(db, sql);
  }
  ~Stmt() { sqlite3_finalize(s); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
};

struct Db {
  sqlite3* db = nullptr;
  Db(const std::string& path, int flags) {
    if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
      std::string m = db ? sqlite3_errmsg(db) : "out of memory";
      sqlite3_close(db);
      throw UsageError(path + ": cannot open SQLite database: " + m);
    }
  }
  ~Db() { sqlite3_close(db); }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
};

}  // namespace

BuildStats fts5_build(const std::string& catalog, const std::string& longtail_index, const std::string& out_db) {
  auto t0 = std::chrono::steady_clock::now();
  const analysis::Analyzer analyzer = index_analyzer(longtail_index);
  std::error_code ec;
  fs::remove(out_db, ec);
  Db db(out_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  exec(db.db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;");
  exec(db.db, "CREATE VIRTUAL TABLE docs USING fts5(terms, item_id UNINDEXED, pop UNINDEXED, tokenize='unicode61')");
  exec(db.db, "BEGIN");
  Stmt ins(db.db, "INSERT INTO docs(terms, item_id, pop) VALUES(?1, ?2, ?3)");
  index::LineReader reader(catalog);
  index::RecordParser parser;
  index::LineReader::Line line;
  index::SkuRecord rec;
  std::string terms;
  BuildStats s;
  while (reader.next(line)) {
    RecordError err;
    if (line.too_long || !parser.parse_sku(line.text, rec, err) || rec.deleted) continue;
    terms.clear();
    for_each_text_field(rec, [&](std::string_view field) {
      for (const auto& t : analyzer.analyze(field, analysis::Mode::Index)) {
        if (t.kind == analysis::TokenKind::Other || t.text.empty()) continue;
        if (!terms.empty()) terms += ' ';
        terms += t.text;
      }
    });
    sqlite3_bind_text(ins.s, 1, terms.data(), int(terms.size()), SQLITE_STATIC);
    sqlite3_bind_text(ins.s, 2, rec.item_id.data(), int(rec.item_id.size()), SQLITE_STATIC);
    sqlite3_bind_double(ins.s, 3, std::log1p(double(rec.sales_30d)));
    if (sqlite3_step(ins.s) != SQLITE_DONE) sql_fail(db.db, "insert");
    sqlite3_reset(ins.s);
    ++s.docs;
  }
  exec(db.db, "COMMIT");
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto t1 = std::chrono::steady_clock::now();
  exec(db.db, "INSERT INTO docs(docs) VALUES('optimize')");
  s.optimize_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  return s;
}

namespace {

// The FTS5 query for longtail's query-mode terms: each term quoted (a term that unicode61 splits,
// such as "1.5m", becomes a phrase on both sides), implicit AND.
std::string match_expr(const analysis::Analyzer& analyzer, const std::string& query) {
  std::string out;
  for (const auto& t : analyzer.analyze(query, analysis::Mode::Query)) {
    if (t.kind == analysis::TokenKind::Other || t.text.empty()) continue;
    if (!out.empty()) out += ' ';
    out += '"';
    for (char c : t.text) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  return out;
}

class Fts5Engine : public Engine {
 public:
  Fts5Engine(const std::string& path, const std::string& longtail_index, int threads, double pop_weight)
      : analyzer_(index_analyzer(longtail_index)), pop_weight_(pop_weight) {
    if (!fs::is_regular_file(path)) throw UsageError(path + ": no such SQLite database (run fts5-build first)");
    for (int t = 0; t < threads; ++t) {
      auto c = std::make_unique<Conn>(path);
      conns_.push_back(std::move(c));
    }
  }

  std::vector<RankedItem> search_items(const std::string& query, uint32_t limit, int thread) const override {
    std::vector<RankedItem> out;
    std::string expr = match_expr(analyzer_, query);
    if (expr.empty()) return out;
    Conn& c = *conns_.at(size_t(thread));
    sqlite3_stmt* st = c.query.s;
    sqlite3_bind_text(st, 1, expr.data(), int(expr.size()), SQLITE_STATIC);
    sqlite3_bind_double(st, 2, pop_weight_);
    sqlite3_bind_int(st, 3, int(limit));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      const char* item = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      // bm25() is lower-is-better; the run file gets the negation so higher is better.
      out.push_back(RankedItem{item ? item : "", -sqlite3_column_double(st, 1)});
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) sql_fail(c.db.db, "query \"" + expr + "\"");
    return out;
  }

 private:
  struct Conn {
    Db db;
    Stmt query;
    explicit Conn(const std::string& path)
        : db(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX),
          query(db.db,
                // bm25() is not allowed inside an aggregate: score the matches in a materialized
                // CTE, then keep each item's best row.
                "WITH m AS MATERIALIZED (SELECT item_id, bm25(docs) - ?2 * pop AS s FROM docs WHERE docs MATCH ?1) "
                "SELECT item_id, min(s) AS best FROM m GROUP BY item_id ORDER BY best LIMIT ?3") {}
  };
  analysis::Analyzer analyzer_;
  double pop_weight_;
  std::vector<std::unique_ptr<Conn>> conns_;  // one per thread
};

}  // namespace

std::unique_ptr<Engine> open_fts5(const std::string& db, const std::string& longtail_index, int threads,
                                  double pop_weight) {
  if (!(pop_weight >= 0)) throw UsageError("fts5: --pop-weight must be >= 0");
  return std::make_unique<Fts5Engine>(db, longtail_index, threads, pop_weight);
}

}  // namespace longtail::perf::baselines
