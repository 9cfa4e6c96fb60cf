// `longtail check` / check_index, and opening damaged or foreign indexes: each fails with a
// message that says what is wrong.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <longtail/longtail.h>

#include "index/index_dir.h"
#include "tests/test_util.h"

using namespace longtail;
namespace fs = std::filesystem;

namespace {

std::string build_mini(const std::string& dir, int shards = 2) {
  BuildOptions o;
  o.catalog_files = {test::fixture("mini_catalog.jsonl")};
  o.shops_file = test::fixture("mini_shops.jsonl");
  o.index_dir = dir;
  o.shards = shards;
  build_index(o);
  return index::live_generation(dir);
}

void write(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

// The error a Searcher gives when opening `dir` and running one query ("" if none).
std::string open_error(const std::string& dir) {
  try {
    Searcher s(dir);
    SearchRequest req;
    req.query = "连衣裙";
    s.search(req);
    return "";
  } catch (const Error& e) {
    return e.what();
  }
}

std::string problems(const IndexCheck& c) {
  std::string out;
  for (const auto& p : c.problems) out += p + "\n";
  return out;
}

}  // namespace

TEST_CASE("check passes on a fresh index and lists what it verified", "[check]") {
  test::TempDir tmp;
  build_mini(tmp.path + "/idx");
  auto c = check_index(tmp.path + "/idx");
  CHECK(c.ok);
  CHECK(c.problems.empty());
  std::string all;
  for (const auto& l : c.lines) all += l + "\n";
  CHECK_THAT(all, Catch::Contains("ok: CURRENT names gen-") && Catch::Contains("ok: lexicon.bin: checksum matches") &&
                      Catch::Contains("ok: shard shard-001: Xapian check passed, ") &&
                      Catch::Contains("ok: SKU count matches the manifest"));
  auto r = test::run_cli("check --index " + tmp.path + "/idx");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("index is sound"));
}

TEST_CASE("a truncated shard file is reported by check and by opening the index", "[check]") {
  for (const char* file : {"postlist.glass", "termlist.glass", "docdata.glass"}) {
    DYNAMIC_SECTION(file) {
      test::TempDir tmp;
      std::string gen = build_mini(tmp.path + "/idx");
      std::string path = gen + "/shard-001/" + file;
      REQUIRE(fs::exists(path));
      fs::resize_file(path, fs::file_size(path) / 2);
      auto c = check_index(tmp.path + "/idx");
      CHECK_FALSE(c.ok);
      CHECK_THAT(problems(c), Catch::Contains("shard shard-001"));
      auto r = test::run_cli("check --index " + tmp.path + "/idx");
      CHECK(r.status == 1);
      CHECK_THAT(r.out, Catch::Contains("FAIL: shard shard-001") && Catch::Contains("index is DAMAGED"));
      std::string e = open_error(tmp.path + "/idx");
      // Opening reads each shard's metadata; a damaged table shows up there or at the first query.
      CHECK_THAT(e, Catch::Contains(tmp.path + "/idx") && Catch::Contains("shard") || Catch::Contains("Corrupt") ||
                        Catch::Contains("corrupt"));
    }
  }
}

TEST_CASE("a shard file cut to nothing is reported", "[check]") {
  test::TempDir tmp;
  std::string gen = build_mini(tmp.path + "/idx");
  fs::resize_file(gen + "/shard-000/postlist.glass", 0);
  CHECK_FALSE(check_index(tmp.path + "/idx").ok);
  CHECK_THAT(open_error(tmp.path + "/idx"), Catch::Contains("shard \"shard-000\""));
}

TEST_CASE("a corrupt manifest is reported", "[check]") {
  test::TempDir tmp;
  std::string gen = build_mini(tmp.path + "/idx");
  write(gen + "/manifest.json", "{\"format\": \"longtail-index\", \"schema_ver");
  auto c = check_index(tmp.path + "/idx");
  CHECK_FALSE(c.ok);
  CHECK_THAT(problems(c), Catch::Contains("manifest.json: damaged (not a JSON object)"));
  CHECK_THAT(open_error(tmp.path + "/idx"), Catch::Contains("manifest.json: damaged (not a JSON object)"));
  write(gen + "/manifest.json", "{\"format\": \"something-else\"}");
  CHECK_THAT(open_error(tmp.path + "/idx"), Catch::Contains("manifest.json: not a longtail manifest"));
}

TEST_CASE("a missing lexicon is reported", "[check]") {
  test::TempDir tmp;
  std::string gen = build_mini(tmp.path + "/idx");
  fs::remove(gen + "/lexicon.bin");
  auto c = check_index(tmp.path + "/idx");
  CHECK_FALSE(c.ok);
  CHECK_THAT(problems(c), Catch::Contains("lexicon.bin"));
  CHECK_THAT(open_error(tmp.path + "/idx"), Catch::Contains("lexicon"));
}

TEST_CASE("a lexicon that does not match the manifest is reported", "[check]") {
  test::TempDir tmp;
  std::string gen = build_mini(tmp.path + "/idx");
  // A lexicon of a build without catalog words: valid, but not the one the index was built with.
  BuildOptions o;
  o.catalog_files = {test::fixture("mini_catalog.jsonl")};
  o.index_dir = tmp.path + "/plain";
  o.learn_lexicon = false;
  build_index(o);
  fs::copy_file(index::live_generation(tmp.path + "/plain") + "/lexicon.bin", gen + "/lexicon.bin",
                fs::copy_options::overwrite_existing);
  CHECK_THAT(problems(check_index(tmp.path + "/idx")), Catch::Contains("does not match the manifest"));
  CHECK_THAT(open_error(tmp.path + "/idx"), Catch::Contains("does not match the manifest's checksum"));
}

TEST_CASE("CURRENT pointing at nothing is reported", "[check]") {
  test::TempDir tmp;
  build_mini(tmp.path + "/idx");
  write(tmp.path + "/idx/CURRENT", "gen-0000-gone\n");
  CHECK_THAT(problems(check_index(tmp.path + "/idx")), Catch::Contains("CURRENT names missing generation gen-0000-gone"));
  CHECK_THAT(open_error(tmp.path + "/idx"), Catch::Contains("CURRENT names missing generation gen-0000-gone"));
  write(tmp.path + "/idx/CURRENT", "");
  CHECK_THAT(open_error(tmp.path + "/idx"), Catch::Contains("CURRENT: damaged"));
  fs::remove(tmp.path + "/idx/CURRENT");
  CHECK_THAT(open_error(tmp.path + "/idx"), Catch::Contains("not a longtail index"));
}

TEST_CASE("a foreign index (other schema or analyzer) is refused with exit code 3", "[check]") {
  test::TempDir tmp;
  std::string gen = build_mini(tmp.path + "/idx");
  auto m = index::read_manifest(gen);
  m.analyzer = "other-analyzer/9";
  index::write_manifest(gen, m);
  CHECK_THROWS_AS(Searcher(tmp.path + "/idx"), IndexMismatchError);
  CHECK_THAT(open_error(tmp.path + "/idx"), Catch::Contains("analyzer other-analyzer/9"));
  CHECK_FALSE(check_index(tmp.path + "/idx").ok);
  CHECK(test::run_cli("search --index " + tmp.path + "/idx 连衣裙 2>/dev/null").status == 3);
  // A plain directory is not an index.
  fs::create_directories(tmp.path + "/plain");
  CHECK_THAT(open_error(tmp.path + "/plain"), Catch::Contains("not a longtail index"));
  CHECK(test::run_cli("check --index " + tmp.path + "/plain").status == 1);
}
