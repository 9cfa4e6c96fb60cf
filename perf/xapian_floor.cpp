// longtail_xapian_floor: what Xapian alone costs to write longtail's documents, by part.
//
// Reads every document of a built (updatable) shard into memory — terms with their wdf, values,
// data — then writes them again into a fresh glass database on one thread, once per variant:
// whole, and without each part in turn (the termlist table, the data, every value, the stage-1
// key, the per-SKU Q and per-item XH terms, the text terms). The time of a variant is Xapian's
// share of a build's writer for those documents (longtail's analysis, integrity and document
// assembly are not in it); the differences say what each part costs. perf/README.md, "Index
// build", has the figures.
//
//   longtail_xapian_floor --shard IDX/gen-…/shard-000 [--docs N] [--rounds R] [--tmp DIR]
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <xapian.h>

#include "format/layout.h"

namespace {

struct Doc {
  std::vector<std::pair<std::string, Xapian::termcount>> terms;
  std::vector<std::pair<Xapian::valueno, std::string>> values;
  std::string data;
};

struct Variant {
  const char* name;
  bool termlist = true, data = true, values = true, key = true, unique_terms = true, text_terms = true;
};

bool is_unique_term(const std::string& t) {
  return t.starts_with(longtail::index::prefix::kSku) || t.starts_with(longtail::index::prefix::kItemHash);
}
bool is_boolean_term(const std::string& t) { return !t.empty() && (t[0] == 'Q' || t[0] == 'X'); }

double write_all(const std::vector<Doc>& docs, const Variant& v, const std::string& dir) {
  std::filesystem::remove_all(dir);
  const auto t0 = std::chrono::steady_clock::now();
  {
    Xapian::WritableDatabase db(dir, Xapian::DB_CREATE_OR_OVERWRITE | Xapian::DB_NO_SYNC | Xapian::DB_BACKEND_GLASS |
                                         (v.termlist ? 0 : Xapian::DB_NO_TERMLIST));
    for (const Doc& d : docs) {
      Xapian::Document doc;
      for (const auto& [t, wdf] : d.terms) {
        if (!v.unique_terms && is_unique_term(t)) continue;
        if (!v.text_terms && !is_boolean_term(t)) continue;
        doc.add_term(t, wdf);
      }
      if (v.values)
        for (const auto& [slot, value] : d.values)
          if (v.key || slot != longtail::index::slot::kStage1Key) doc.add_value(slot, value);
      if (v.data) doc.set_data(d.data);
      db.add_document(doc);
    }
    db.commit();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::filesystem::remove_all(dir);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"What Xapian alone costs to write a built shard's documents, by part"};
  std::string shard, tmp = "/tmp/longtail-xapian-floor";
  size_t max_docs = 0;
  int rounds = 2;
  app.add_option("--shard", shard, "A shard of a built index (with its termlist: not --serving)")->required();
  app.add_option("--docs", max_docs, "Read at most this many documents (0: all)");
  app.add_option("--rounds", rounds, "Rounds over the variants (the best time of each is kept)")->check(CLI::Range(1, 20));
  app.add_option("--tmp", tmp, "Scratch database directory (removed)");
  CLI11_PARSE(app, argc, argv);
  try {
    Xapian::Database src(shard);
    std::vector<Doc> docs;
    for (auto it = src.postlist_begin(""); it != src.postlist_end(""); ++it) {
      if (max_docs && docs.size() >= max_docs) break;
      const Xapian::Document d = src.get_document(*it);
      Doc x;
      for (auto t = d.termlist_begin(); t != d.termlist_end(); ++t) x.terms.emplace_back(*t, t.get_wdf());
      for (auto v = d.values_begin(); v != d.values_end(); ++v) x.values.emplace_back(v.get_valueno(), *v);
      x.data = d.get_data();
      docs.push_back(std::move(x));
    }
    if (docs.empty()) {
      std::fprintf(stderr, "longtail_xapian_floor: %s has no documents\n", shard.c_str());
      return 1;
    }
    const std::vector<Variant> variants = {
        {"whole"},
        {"no termlist", false},
        {"no data", true, false},
        {"no values", true, true, false},
        {"no stage-1 key", true, true, true, false},
        {"no Q/XH terms", true, true, true, true, false},
        {"no text terms", true, true, true, true, true, false},
        {"booleans only, no termlist/data/values", false, false, false, false, true, false},
    };
    std::vector<double> best(variants.size(), 0);
    for (int r = 0; r < rounds; ++r)
      for (size_t i = 0; i < variants.size(); ++i) {
        const double s = write_all(docs, variants[i], tmp);
        best[i] = r == 0 ? s : std::min(best[i], s);
      }
    std::printf("%zu documents of %s, one thread, best of %d rounds\n", docs.size(), shard.c_str(), rounds);
    std::printf("%-40s %10s %12s %14s\n", "variant", "seconds", "us/document", "vs whole, us");
    for (size_t i = 0; i < variants.size(); ++i) {
      const double us = 1e6 * best[i] / double(docs.size());
      const double whole = 1e6 * best[0] / double(docs.size());
      std::printf("%-40s %10.2f %12.1f %14.1f\n", variants[i].name, best[i], us, us - whole);
    }
  } catch (const Xapian::Error& e) {
    std::fprintf(stderr, "longtail_xapian_floor: %s\n", e.get_description().c_str());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "longtail_xapian_floor: %s\n", e.what());
    return 1;
  }
  return 0;
}
