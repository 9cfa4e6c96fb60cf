// `longtail check` / check_index, and opening damaged or foreign indexes: each fails with a
// message that says what is wrong.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <vector>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

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

TEST_CASE("writer liveness is the lock itself: a live PID left in LOCK does not make a writer", "[check][faults]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  build_mini(dir);
  // A crashed writer whose PID now belongs to a live process (PID reuse, another PID namespace):
  // this test process's own PID stands for it. Before, readers took it for a running writer.
  write(dir + "/LOCK", std::to_string(::getpid()) + "\n");
  CHECK_FALSE(index::writer_running(dir));
  {
    index::WriterLock lock(dir);
    CHECK(index::writer_running(dir));
    CHECK_THROWS_WITH(index::WriterLock(dir), Catch::Contains("another build or update holds the index lock"));
  }
  CHECK_FALSE(index::writer_running(dir));
  // A writer killed with SIGKILL while holding the lock: the lock ends with it.
  pid_t child = ::fork();
  if (child == 0) {
    index::WriterLock lock(dir);
    ::pause();
    ::_exit(0);
  }
  for (int i = 0; i < 500 && !index::writer_running(dir); ++i) ::usleep(10000);
  CHECK(index::writer_running(dir));
  ::kill(child, SIGKILL);
  int st = 0;
  ::waitpid(child, &st, 0);
  CHECK_FALSE(index::writer_running(dir));
  index::WriterLock again(dir);  // and the next writer gets it
}

TEST_CASE("orphan generations are reported by check and removed by the next writer, the previous one is kept", "[check][faults]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  const std::string first = fs::path(build_mini(dir)).filename().string();
  OptimizeOptions oo;
  oo.index_dir = dir;
  optimize_index(oo);
  const std::string second = fs::path(index::live_generation(dir)).filename().string();
  REQUIRE(second != first);
  // What a build killed before publishing leaves: a generation CURRENT never named.
  const std::string orphan = "gen-00000000000000ff-1-0";
  fs::create_directories(dir + "/" + orphan + "/shard-000");
  write(dir + "/" + orphan + "/shard-000/postlist.glass", std::string(4096, 'x'));
  CHECK(index::orphan_generations(dir) == std::vector<std::string>{orphan});
  auto c = check_index(dir);
  CHECK(c.ok);  // a warning, not damage
  std::string all;
  for (const auto& l : c.lines) all += l + "\n";
  CHECK_THAT(all, Catch::Contains("WARN: 1 generation(s) neither live nor kept") && Catch::Contains(orphan) &&
                      Catch::Contains("the next build, update or optimize removes them"));
  { index::WriterLock lock(dir); }  // the next writer
  CHECK_FALSE(fs::exists(dir + "/" + orphan));
  CHECK(fs::exists(dir + "/" + first));  // PREVIOUS: kept for readers that read CURRENT before the swap
  CHECK(fs::exists(dir + "/" + second));
  CHECK(index::orphan_generations(dir).empty());
  CHECK(Searcher(dir).search(SearchRequest{.query = "连衣裙"}).hits.size() > 0);
}

TEST_CASE("check verifies every file of the generation against the manifest's checksums", "[check][faults]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  const std::string gen = build_mini(dir);
  const auto m = index::read_manifest(gen);
  for (const char* f : {"lexicon.bin", "shops.jsonl", "signals.json", "integrity.json", "integrity-prints.bin"})
    CHECK(m.files.count(f) == 1);
  CHECK(m.files.count("manifest.json") == 0);
  auto c = check_index(dir);
  REQUIRE(c.ok);
  std::string all;
  for (const auto& l : c.lines) all += l + "\n";
  CHECK_THAT(all, Catch::Contains("files match the manifest's sizes and checksums"));

  SECTION("one byte changed in integrity.json (still valid JSON)") {
    std::string text;
    {
      std::ifstream in(gen + "/integrity.json", std::ios::binary);
      text.assign(std::istreambuf_iterator<char>(in), {});
    }
    auto digit = text.find_first_of("123456789");
    REQUIRE(digit != std::string::npos);
    text[digit] = text[digit] == '9' ? '8' : char(text[digit] + 1);
    write(gen + "/integrity.json", text);
    auto d = check_index(dir);
    CHECK_FALSE(d.ok);
    CHECK_THAT(problems(d), Catch::Contains("integrity.json: checksum") && Catch::Contains("(damaged)") &&
                                Catch::Contains("rebuild the index with `longtail build`"));
  }
  SECTION("an integrity table cut short") {
    fs::resize_file(gen + "/integrity-prints.bin", fs::file_size(gen + "/integrity-prints.bin") / 2);
    CHECK_THAT(problems(check_index(dir)), Catch::Contains("integrity-prints.bin: ") && Catch::Contains("truncated"));
  }
  SECTION("a file gone") {
    fs::remove(gen + "/integrity-terms.bin");
    CHECK_THAT(problems(check_index(dir)), Catch::Contains("integrity-terms.bin: missing"));
  }
}

TEST_CASE("an update rewrites the manifest's sums of the files it wrote and keeps the others'", "[check][update]") {
  test::TempDir tmp;
  const std::string dir = tmp.path + "/idx";
  const std::string gen = build_mini(dir);
  // A file damaged behind the index's back keeps its recorded sum through an update (the update
  // did not write it), so check still finds it.
  const auto before = index::read_manifest(gen);
  std::string text = test::read_file(gen + "/signals.json");
  text[text.find_first_of("123456789")] ^= 1;  // same size, another digit
  write(gen + "/signals.json", text);
  fs::last_write_time(gen + "/signals.json", fs::last_write_time(gen + "/manifest.json") - std::chrono::seconds(5));
  write(tmp.path + "/synonyms.txt", "flask, 保温杯\n");
  UpdateOptions u;
  u.index_dir = dir;
  u.synonyms_file = tmp.path + "/synonyms.txt";
  update_index(u);
  const auto after = index::read_manifest(gen);
  CHECK(after.files.at("signals.json") == before.files.at("signals.json"));
  CHECK(after.files.count("synonyms.txt") == 1);
  CHECK(after.files.at("synonyms.txt") == index::file_sum(gen + "/synonyms.txt"));
  CHECK_THAT(problems(check_index(dir)), Catch::Contains("signals.json: checksum"));
}
