// What the long commands report (issue 26): defaults in --help, progress lines on stderr
// (--progress when stderr is no terminal, none with -q), and structured --json reports.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <longtail/longtail.h>

#include "index/progress.h"
#include "tests/test_util.h"

using namespace longtail;
namespace fs = std::filesystem;

namespace {
std::string mini_build(const test::TempDir& tmp, const std::string& extra = "") {
  const std::string dir = tmp.path + "/idx";
  auto b = test::run_cli("build -q --catalog " + test::fixture("mini_catalog.jsonl") + " --shops " +
                         test::fixture("mini_shops.jsonl") + " --index " + dir + " --shards 2 " + extra);
  REQUIRE(b.status == 0);
  return dir;
}
size_t count_lines_with(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t b = 0; b < text.size();) {
    size_t e = text.find('\n', b);
    if (e == std::string::npos) e = text.size();
    if (text.compare(b, e - b, needle) == 0 || text.substr(b, e - b).find(needle) != std::string::npos) ++n;
    b = e + 1;
  }
  return n;
}
}  // namespace

TEST_CASE("--help shows the default of every option that has one", "[cli][reports]") {
  auto b = test::run_cli("build --help");
  REQUIRE(b.status == 0);
  // CLI11 prints a default as "=VALUE" after the option's type.
  CHECK_THAT(b.out, Catch::Matches("[\\s\\S]*--shards INT[^\\n]*=1[\\s\\S]*"));
  CHECK_THAT(b.out, Catch::Matches("[\\s\\S]*--threads INT[^\\n]*=0[\\s\\S]*"));
  CHECK_THAT(b.out, Catch::Matches("[\\s\\S]*--on-error TEXT[^\\n]*=fail[\\s\\S]*"));
  auto s = test::run_cli("search --help");
  REQUIRE(s.status == 0);
  CHECK_THAT(s.out, Catch::Matches("[\\s\\S]*-n,--limit[^\\n]*=10[\\s\\S]*"));
  auto u = test::run_cli("update --help");
  CHECK_THAT(u.out, Catch::Matches("[\\s\\S]*--batch-size[^\\n]*=50000[\\s\\S]*"));
}

TEST_CASE("progress lines: phases on stderr with --progress, none with -q, none by default off a terminal",
          "[cli][reports]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  const std::string cat = test::fixture("mini_catalog.jsonl");
  // popen's stderr is this test's, not a terminal: route it to stdout to read it.
  auto b = test::run_cli("build --progress --catalog " + cat + " --index " + dir + " 2>&1 >/dev/null");
  REQUIRE(b.status == 0);
  for (const char* phase : {"scan", "index", "commit", "publish"}) {
    INFO(b.out);
    CHECK(count_lines_with(b.out, phase) >= 1);
  }
  CHECK(b.out.find("20 records") != std::string::npos);  // the index phase counts its records too
  auto quiet = test::run_cli("build -q --catalog " + cat + " --index " + dir + " 2>&1 >/dev/null");
  CHECK(quiet.status == 0);
  CHECK(quiet.out.empty());
  auto plain = test::run_cli("build --catalog " + cat + " --index " + dir + " 2>&1 >/dev/null");
  CHECK(plain.out.empty());  // stderr is no terminal and --progress was not given
  CHECK(test::run_cli("build -q --progress --catalog " + cat + " --index " + dir + " 2>/dev/null").status == 2);

  auto o = test::run_cli("optimize --progress --index " + dir + " 2>&1 >/dev/null");
  CHECK(o.status == 0);
  CHECK(count_lines_with(o.out, "copy") >= 1);
  CHECK(o.out.find("20 documents (") != std::string::npos);
  CHECK(o.out.find("of 20 documents (100.0%)") != std::string::npos);
  auto c = test::run_cli("check --progress --index " + dir + " 2>&1 >/dev/null");
  CHECK(c.status == 0);
  CHECK(count_lines_with(c.out, "shards") >= 1);
  auto u = test::run_cli("update --progress --index " + dir + " --catalog " + cat + " 2>&1 >/dev/null");
  CHECK(u.status == 0);
  CHECK(count_lines_with(u.out, "validate") >= 1);
  CHECK(count_lines_with(u.out, "apply") >= 1);
  CHECK(test::run_cli("update -q --index " + dir + " --catalog " + cat + " 2>&1 >/dev/null").out.empty());
}

TEST_CASE("progress: the ETA is the phase's own, unknown until a hundredth is done, never a false zero", "[reports]") {
  std::vector<Progress> seen;
  index::ProgressMeter meter([&](const Progress& p) { seen.push_back(p); });
  meter.phase("index", 1000, "bytes");
  REQUIRE(seen.size() == 1);
  CHECK(std::string(seen.back().phase) == "index");
  CHECK(seen.back().eta_s < 0);  // nothing done yet: unknown
  meter.set(5, 1);               // half a hundredth
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  meter.flush();
  CHECK(seen.back().eta_s < 0);
  meter.set(250, 50);
  meter.flush();
  // A quarter done in about 1.1 s: about 3.3 s left.
  CHECK(seen.back().eta_s > 2.5);
  CHECK(seen.back().eta_s < 6.0);
  CHECK(seen.back().records == 50);
  meter.set(1000, 200);
  meter.flush();
  CHECK(seen.back().eta_s == 0);
  // A new phase starts its own count and clock.
  meter.phase("commit", 0, "");
  CHECK(seen.back().done == 0);
  CHECK(seen.back().phase_elapsed_s < 0.5);
  CHECK(seen.back().elapsed_s > 1.0);
  // Throttled: many updates within half a second report once at most.
  const size_t before = seen.size();
  for (int i = 0; i < 1000; ++i) meter.add(1, 1);
  CHECK(seen.size() - before <= 1);
}

TEST_CASE("build --json and update --json give each rejected record with its reason", "[cli][reports]") {
  test::TempDir tmp;
  const std::string cat = tmp.path + "/cat.jsonl";
  {
    std::ifstream in(test::fixture("mini_catalog.jsonl"));
    std::ofstream out(cat);
    out << in.rdbuf();
    out << R"({"sku_id":"bad1","item_id":"bad1","shop_id":"shop_a","title":"坏记录","price":"cheap"})" << "\n";
  }
  auto b = test::run_cli("build -q --json --on-error skip --catalog " + cat + " --index " + tmp.path + "/idx");
  REQUIRE(b.status == 0);
  INFO(b.out);
  CHECK(b.out.find("\"rejected\":1") != std::string::npos);
  CHECK(b.out.find("\"errors\":[{\"file\":\"" + cat + "\",\"line\":21,\"field\":\"price\",\"reason\":") !=
        std::string::npos);
  auto u = test::run_cli("update -q --json --on-error skip --index " + tmp.path + "/idx --catalog " + cat);
  REQUIRE(u.status == 0);
  CHECK(u.out.find("\"errors\":[{\"file\":\"" + cat + "\",\"line\":21,\"field\":\"price\",\"reason\":") !=
        std::string::npos);
  auto clean = test::run_cli("build -q --json --catalog " + test::fixture("mini_catalog.jsonl") + " --index " +
                             tmp.path + "/idx2");
  CHECK(clean.out.find("\"errors\":[]") != std::string::npos);
}

TEST_CASE("check --json: one structured entry per step, with its subject", "[cli][reports]") {
  test::TempDir tmp;
  const std::string dir = mini_build(tmp);
  auto c = test::run_cli("check --json --index " + dir);
  REQUIRE(c.status == 0);
  INFO(c.out);
  CHECK(c.out.find("\"ok\":true,\"generation\":\"gen-") != std::string::npos);
  CHECK(c.out.find("{\"status\":\"ok\",\"subject\":\"CURRENT\",\"message\":\"CURRENT names gen-") != std::string::npos);
  CHECK(c.out.find("{\"status\":\"ok\",\"subject\":\"manifest\",") != std::string::npos);
  CHECK(c.out.find("{\"status\":\"ok\",\"subject\":\"shard 1\",\"message\":\"shard ") != std::string::npos);
  CHECK(c.out.find("{\"status\":\"ok\",\"subject\":\"counts\",") != std::string::npos);
  CHECK(c.out.find("\"problems\":[]") != std::string::npos);
  // A damaged file: a FAIL step naming it.
  const IndexCheck before = check_index(dir);
  REQUIRE(before.ok);
  const std::string gen = dir + "/" + before.generation;
  { std::ofstream(gen + "/signals.json", std::ios::app) << "garbage"; }
  auto bad = test::run_cli("check --json --index " + dir);
  CHECK(bad.status == 1);
  CHECK(bad.out.find("\"ok\":false") != std::string::npos);
  CHECK(bad.out.find("{\"status\":\"FAIL\",\"subject\":\"files\",\"message\":") != std::string::npos);
}

TEST_CASE("inspect --json: the index's manifest and counts, and one SKU's record, terms and values", "[cli][reports]") {
  test::TempDir tmp;
  const std::string dir = mini_build(tmp);
  auto i = test::run_cli("inspect --json --index " + dir);
  REQUIRE(i.status == 0);
  INFO(i.out);
  CHECK(i.out.rfind("{\"index\":\"" + dir + "\",\"generation\":\"gen-", 0) == 0);
  CHECK(i.out.find("\"manifest\":{") != std::string::npos);
  CHECK(i.out.find("\"documents\":17,\"shards\":2,") != std::string::npos);  // one document per item: 17 items of 20 SKUs
  CHECK(std::count(i.out.begin(), i.out.end(), '\n') == 1);
  auto s = test::run_cli("inspect --json --index " + dir + " --sku cup1-0");
  REQUIRE(s.status == 0);
  CHECK(s.out.find("\"sku_id\":\"cup1-0\",\"docid\":") != std::string::npos);
  CHECK(s.out.find("\"title\":\"膳魔师 保温杯 500ml 不锈钢 便携水杯\"") != std::string::npos);
  CHECK(s.out.find("{\"term\":\"XIcup1\",\"wdf\":0}") != std::string::npos);
  CHECK(s.out.find("\"carried\":") != std::string::npos);
  CHECK(s.out.find("\"string\":\"cup1-0\"") != std::string::npos);
  CHECK(std::count(s.out.begin(), s.out.end(), '\n') == 1);
  CHECK(test::run_cli("inspect --json --index " + dir + " --sku nosuch 2>/dev/null").status == 1);
}
