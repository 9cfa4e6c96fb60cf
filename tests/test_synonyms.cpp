// Synonym rules (index/synonyms.h, docs/ranking.md "Synonyms"): the file format and its errors,
// rules stored by build and replaced by update without re-indexing, and what a query finds by them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <xapian.h>

#include <longtail/longtail.h>

#include "analyzers/analyzer.h"
#include "index/index_dir.h"
#include "index/synonyms.h"
#include "tests/default_analyzer.h"
#include "tests/test_util.h"

using namespace longtail;
namespace fs = std::filesystem;

namespace {

const analysis::Analyzer& base_analyzer() { return test::default_analyzer(); }

std::string build(const test::TempDir& tmp, const std::string& synonyms) {
  const std::string dir = tmp.path + "/idx";
  BuildOptions o;
  o.catalog_files = {test::fixture("mini_catalog.jsonl")};
  o.shops_file = test::fixture("mini_shops.jsonl");
  o.index_dir = dir;
  o.shards = 2;
  if (!synonyms.empty()) {
    test::write_file(tmp.path + "/syn.txt", synonyms);
    o.synonyms_file = tmp.path + "/syn.txt";
  }
  build_index(o);
  return dir;
}

std::vector<std::string> skus(const Searcher& s, const std::string& q, bool explain = false) {
  SearchRequest req;
  req.query = q;
  req.limit = 50;
  req.explain = explain;
  std::vector<std::string> out;
  for (const auto& h : s.search(req).hits) out.push_back(h.sku_id);
  return out;
}

bool has(const std::vector<std::string>& v, const std::string& x) { return std::find(v.begin(), v.end(), x) != v.end(); }

}  // namespace

TEST_CASE("synonyms file: equivalent and one-way rules, comments, full-width commas", "[synonyms]") {
  const auto set = index::parse_synonyms(
      "\xEF\xBB\xBF# kitchen\n\n土豆, 马铃薯 , 洋芋\n长裙 => 连衣裙, 半身裙\n手提电脑，笔记本电脑\n  # indented comment\n",
      "syn.txt", base_analyzer());
  REQUIRE(set.rules.size() == 3);
  CHECK(set.rules[0].line == 3);
  CHECK_FALSE(set.rules[0].one_way);
  CHECK(set.rules[1].one_way);
  CHECK(set.describe(1) == "syn.txt:4: 长裙 => 连衣裙, 半身裙");
  auto alts = [&](const std::string& term) {
    std::vector<std::string> out;
    if (auto it = set.expansions.find(term); it != set.expansions.end())
      for (const auto& a : it->second) {
        std::string joined;
        for (const auto& t : a.terms) joined += (joined.empty() ? "" : "+") + t;
        out.push_back(joined);
      }
    return out;
  };
  CHECK(alts("土豆") == std::vector<std::string>{"马铃薯", "洋芋"});
  CHECK(alts("洋芋") == std::vector<std::string>{"土豆", "马铃薯"});
  CHECK(alts("长裙") == std::vector<std::string>{"连衣裙", "半身裙"});
  CHECK(alts("连衣裙").empty());  // one-way
  CHECK(alts("手提电脑") == std::vector<std::string>{"笔记本电脑"});
  // Sides are analyzed as queries are: a side the lexicon splits is several terms together.
  const auto split = index::parse_synonyms("手机套, 手机壳\n", "syn.txt", base_analyzer());
  REQUIRE(split.expansions.count("手机套") == 1);
  CHECK(split.expansions.at("手机套")[0].terms == std::vector<std::string>{"手机", "壳"});
}

TEST_CASE("synonyms file: a bad line is refused with file, line and reason", "[synonyms]") {
  auto err = [](const std::string& text) {
    try {
      index::parse_synonyms(text, "rules.txt", base_analyzer());
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(err("保温杯, 保温瓶\n真丝\n") == "rules.txt:2: one side only: write \"a, b\" (equivalent) or \"a => b\" (one-way)");
  CHECK_THAT(err("# c\n保温杯, , 保温瓶\n"), Catch::StartsWith("rules.txt:2: an empty side"));
  CHECK_THAT(err("a => b => c\n"), Catch::StartsWith("rules.txt:1: more than one \"=>\""));
  CHECK_THAT(err("保温杯, ！！\n"), Catch::StartsWith("rules.txt:1: \"！！\" has no word to match"));
  CHECK_THAT(err("=> 连衣裙\n"), Catch::StartsWith("rules.txt:1: an empty side left of \"=>\""));
  CHECK_THAT(err("真丝 连衣裙 => 丝绸裙\n"), Catch::StartsWith("rules.txt:1: the left side \"真丝 连衣裙\" is several terms"));
  CHECK_THAT(err("保温杯, 一 二 三 四 五 六\n"), Catch::Contains("a side has at most 4"));
  CHECK_THAT(err("保温杯, \xff\xfe\n"), Catch::StartsWith("rules.txt:1: not UTF-8"));
  CHECK_THAT(err("保温杯, " + std::string(5000, 'a') + "\n"), Catch::StartsWith("rules.txt:1: longer than"));
  // A several-term side of an equivalence is found by the others (and triggers nothing itself).
  const auto set = index::parse_synonyms("跑鞋, 跑步 鞋\n", "rules.txt", base_analyzer());
  REQUIRE(set.expansions.count("跑鞋") == 1);
  CHECK(set.expansions.at("跑鞋")[0].terms.size() == 2);
}

TEST_CASE("synonyms: a query finds listings by a rule, explain names it, one-way rules stay one-way", "[synonyms]") {
  test::TempDir tmp;
  {
    // Without rules: flask is in no title, and 保温瓶 finds the cups by its parts only.
    Searcher plain(build(tmp, ""));
    CHECK(skus(plain, "flask").empty());
    SearchRequest req;
    req.query = "保温瓶";
    auto r = plain.search(req);
    REQUIRE_FALSE(r.hits.empty());
    CHECK(r.hits[0].coverage < 1);
  }
  fs::remove_all(tmp.path + "/idx");
  const std::string dir = build(tmp, "# rules\n保温瓶, 保温杯, flask\n长裙 => 连衣裙\n手机套, 手机壳\n");
  Searcher s(dir);
  auto cups = skus(s, "flask");
  CHECK(cups.size() == 2);
  CHECK(has(cups, "cup1-0"));
  CHECK(has(cups, "cup2-0"));
  {
    SearchRequest req;
    req.query = "保温瓶";
    auto r = s.search(req);
    REQUIRE_FALSE(r.hits.empty());
    CHECK(r.hits[0].coverage == 1);  // whole, by the rule
  }
  CHECK(skus(s, "华为 手机套").front() == "case2-0");
  // One-way: 长裙 finds every dress, 连衣裙 does not find 长裙-only titles (there are none, so
  // it finds exactly the dresses it found before).
  auto dresses = skus(s, "长裙");
  CHECK(has(dresses, "dress1-0"));
  CHECK(has(dresses, "dress3-0"));
  // Explain: the term matched by the rule's alternative, and the rule by file and line.
  SearchRequest req;
  req.query = "保温瓶";
  req.explain = true;
  auto r = s.search(req);
  REQUIRE_FALSE(r.hits.empty());
  REQUIRE(r.hits[0].explanation);
  CHECK(r.hits[0].explanation->matched_terms == std::vector<std::string>{"保温瓶(保温杯)"});
  CHECK(r.hits[0].explanation->synonyms == std::vector<std::string>{"synonyms.txt:2: 保温瓶, 保温杯, flask"});
  CHECK(r.relaxed.empty());
  // A listing with the term itself is matched by it, not by the rule.
  req.query = "保温杯";
  r = s.search(req);
  REQUIRE_FALSE(r.hits.empty());
  CHECK(r.hits[0].explanation->matched_terms == std::vector<std::string>{"保温杯"});
  CHECK(r.hits[0].explanation->synonyms.empty());
  // The CLI's JSON carries the rule.
  auto cli = test::run_cli("search --index " + dir + " --json --explain 保温瓶");
  CHECK(cli.status == 0);
  CHECK_THAT(cli.out, Catch::Contains("\"synonyms\":[\"synonyms.txt:2: 保温瓶, 保温杯, flask\"]"));
}

TEST_CASE("synonyms: update --synonyms replaces the rules without re-indexing, a Searcher picks them up on reopen", "[synonyms][update]") {
  test::TempDir tmp;
  const std::string dir = build(tmp, "flask, 保温杯\n");
  const std::string gen = index::live_generation(dir);
  auto revisions = [&] {
    std::vector<Xapian::rev> out;
    for (const char* shard : {"/shard-000", "/shard-001"}) out.push_back(Xapian::Database(gen + shard).get_revision());
    return out;
  };
  const auto before = revisions();
  Searcher s(dir);
  CHECK(skus(s, "flask").size() == 2);
  CHECK(skus(s, "bottle").empty());

  test::write_file(tmp.path + "/new.txt", "bottle => 保温杯, 水杯\n");
  UpdateOptions u;
  u.index_dir = dir;
  u.synonyms_file = tmp.path + "/new.txt";
  auto sum = update_index(u);
  CHECK(sum.synonyms_replaced);
  CHECK(sum.synonym_rules == 1);
  CHECK(sum.batches == 0);
  CHECK(revisions() == before);  // no shard was written
  CHECK(index::live_generation(dir) == gen);
  s.reopen();
  CHECK(skus(s, "flask").empty());  // the old rule is gone
  CHECK(has(skus(s, "bottle"), "cup2-0"));
  CHECK(check_index(dir).ok);  // the manifest lists the new file's checksum

  // A bad file is refused and the rules stay as they were.
  test::write_file(tmp.path + "/bad.txt", "bottle\n");
  u.synonyms_file = tmp.path + "/bad.txt";
  CHECK_THROWS_WITH(update_index(u), Catch::Contains("bad.txt:1: one side only"));
  s.reopen();
  CHECK(has(skus(s, "bottle"), "cup2-0"));
  // Optimize keeps them.
  OptimizeOptions oo;
  oo.index_dir = dir;
  optimize_index(oo);
  CHECK(has(skus(Searcher(dir), "bottle"), "cup2-0"));
  // From the CLI.
  auto cli = test::run_cli("update --index " + dir + " --synonyms " + tmp.path + "/new.txt");
  CHECK(cli.status == 0);
  CHECK_THAT(cli.out, Catch::Contains("synonyms of " + dir + " replaced: 1 rules"));
}

TEST_CASE("synonyms: a bad rules file stops the build before anything is written", "[synonyms]") {
  test::TempDir tmp;
  test::write_file(tmp.path + "/bad.txt", "保温杯, 保温瓶\n# fine so far\n保温杯 => \n");
  BuildOptions o;
  o.catalog_files = {test::fixture("mini_catalog.jsonl")};
  o.index_dir = tmp.path + "/idx";
  o.synonyms_file = tmp.path + "/bad.txt";
  CHECK_THROWS_AS(build_index(o), UsageError);
  CHECK_THROWS_WITH(build_index(o), Catch::StartsWith(tmp.path + "/bad.txt:3: an empty side right of \"=>\""));
  CHECK_FALSE(fs::exists(tmp.path + "/idx"));
  auto cli = test::run_cli("build --catalog " + test::fixture("mini_catalog.jsonl") + " --index " + tmp.path +
                           "/idx --synonyms " + tmp.path + "/bad.txt 2>&1");
  CHECK(cli.status == 2);
  CHECK_THAT(cli.out, Catch::Contains("bad.txt:3: an empty side right of"));
}

TEST_CASE("brand aliases: a brand's names in both scripts, learned from brand fields, find each other", "[synonyms]") {
  test::TempDir tmp;
  // Four Nike items whose titles name the brand in one script only, and other brands' shoes.
  std::string cat;
  const char* titles[] = {"Nike 男子跑步鞋 缓震 透气", "Nike 女子跑步鞋 轻便", "耐克 运动跑步鞋 男款 减震", "耐克 儿童跑步鞋 防滑"};
  for (int i = 0; i < 4; ++i)
    cat += "{\"sku_id\":\"n" + std::to_string(i) + "\",\"title\":\"" + titles[i] +
           "\",\"brand\":\"Nike/耐克\",\"category\":\"运动鞋/跑步鞋\",\"price\":399}\n";
  // A listing whose title and brand field say only Nike, and one that says only 耐克.
  cat += "{\"sku_id\":\"x0\",\"title\":\"Nike Air 气垫跑步鞋\",\"brand\":\"Nike\",\"category\":\"运动鞋/跑步鞋\",\"price\":599}\n";
  cat += "{\"sku_id\":\"x1\",\"title\":\"耐克 气垫跑步鞋 白色\",\"category\":\"运动鞋/跑步鞋\",\"price\":599}\n";
  for (int i = 0; i < 4; ++i)
    cat += "{\"sku_id\":\"l" + std::to_string(i) + "\",\"title\":\"李宁 跑步鞋 款" + std::to_string(i) +
           "\",\"brand\":\"LI-NING/李宁\",\"category\":\"运动鞋/跑步鞋\",\"price\":299}\n";
  test::write_file(tmp.path + "/cat.jsonl", cat);
  BuildOptions o;
  o.catalog_files = {tmp.path + "/cat.jsonl"};
  o.index_dir = tmp.path + "/idx";
  build_index(o);
  const std::string gen = index::live_generation(o.index_dir);
  REQUIRE(fs::exists(gen + "/" + index::kBrandAliasesFile));
  {
    Searcher s(o.index_dir);
    SearchRequest req;
    req.query = "耐克 跑步鞋";
    req.explain = true;
    req.collapse = false;
    auto r = s.search(req);
    std::vector<std::string> full;
    for (const auto& h : r.hits)
      if (h.coverage == 2) full.push_back(h.sku_id);
    std::sort(full.begin(), full.end());
    CHECK(full == std::vector<std::string>{"n0", "n1", "n2", "n3", "x0", "x1"});  // x0 says only Nike
    for (const auto& h : r.hits)
      if (h.sku_id == "x0") {
        REQUIRE(h.explanation);
        REQUIRE(h.explanation->synonyms.size() == 1);
        CHECK_THAT(h.explanation->synonyms[0], Catch::StartsWith("brand-aliases.txt:") && Catch::EndsWith(": nike, 耐克"));
      }
    CHECK(r.hits.size() >= 4);
    CHECK(std::string(r.hits[0].sku_id).substr(0, 1) == "n");
    req.query = "nike";
    std::vector<std::string> found;
    for (const auto& h : s.search(req).hits) found.push_back(h.sku_id);
    CHECK(has(found, "x1"));
  }
  // Without them, the 耐克-only query finds only the titles that say 耐克 whole.
  o.brand_aliases = false;
  build_index(o);
  CHECK_FALSE(fs::exists(index::live_generation(o.index_dir) + "/" + index::kBrandAliasesFile));
  Searcher s(o.index_dir);
  SearchRequest req;
  req.query = "nike";
  req.collapse = false;
  std::vector<std::string> found;
  for (const auto& h : s.search(req).hits) found.push_back(h.sku_id);
  CHECK_FALSE(has(found, "x1"));
}
