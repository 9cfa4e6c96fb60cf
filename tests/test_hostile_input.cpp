// Hostile and malformed input: every case gets a clear error or a sane result, never a crash, a
// hang or unbounded memory. Catalog lines go through the build (FILE:LINE: field: reason) and
// the update path; queries through the Searcher and the CLI.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <longtail/longtail.h>

#include <simdjson.h>

#include "index/catalog.h"
#include "format/document.h"
#include "tests/test_util.h"
#include "common/json_writer.h"

using namespace longtail;
namespace fs = std::filesystem;

namespace {

void write(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

const std::string kGood = R"({"sku_id":"ok1","title":"纯棉T恤 男款 白色","category":"男装/T恤","price":39})";

// Builds a catalog of kGood plus `bad` (one line) with --on-error skip; returns the one error.
std::string build_reject(const std::string& bad) {
  test::TempDir tmp;
  write(tmp.path + "/c.jsonl", kGood + "\n" + bad + "\n");
  BuildOptions o;
  o.catalog_files = {tmp.path + "/c.jsonl"};
  o.index_dir = tmp.path + "/idx";
  o.on_error = OnError::Skip;
  auto s = build_index(o);
  CHECK(s.accepted == 1);
  if (s.errors.size() != 1) return "accepted (" + std::to_string(s.errors.size()) + " errors)";
  std::string e = s.errors[0].to_string();
  return e.substr(e.find("c.jsonl:"));
}

// Runs the CLI with argv (no shell); returns the exit status and the child's peak RSS in KiB.
std::pair<int, long> run_measured(const std::vector<std::string>& args) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> argv;
    std::string cli = LONGTAIL_CLI_PATH;
    argv.push_back(cli.data());
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(cli.c_str(), argv.data());
    ::_exit(127);
  }
  int st = 0;
  struct rusage ru {};
  ::wait4(pid, &st, 0, &ru);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, ru.ru_maxrss};
}

}  // namespace

TEST_CASE("hostile catalog lines are rejected with file, line, field and reason", "[hostile]") {
  CHECK(build_reject("{\"sku_id\":\"a\",\"title\":\"\xc3\x28\xa0\xa1\"}") == "c.jsonl:2: utf8: invalid UTF-8");
  CHECK(build_reject("{\"sku_id\":\"a\",\"title\":\"\xed\xa0\x80\"}") == "c.jsonl:2: utf8: invalid UTF-8");  // surrogate
  CHECK(build_reject(std::string("{\"sku_id\":\"a\",\"title\":\"x\0y\"}", 26)).rfind("c.jsonl:2: json: invalid JSON", 0) == 0);
  CHECK(build_reject(std::string("{\"sku_id\":\"a\",\0\"title\":\"x\"}", 27)).rfind("c.jsonl:2: json: invalid JSON", 0) == 0);
  CHECK(build_reject(R"({"sku_id":"a","title":"x\u0000y"})") == "c.jsonl:2: title: contains a control character");
  CHECK(build_reject(R"({"sku_id":"a\u0000","title":"x"})") == "c.jsonl:2: sku_id: contains a control character");
  CHECK(build_reject(std::string(100000, '[') + std::string(100000, ']')) == "c.jsonl:2: json: nested too deeply");
  CHECK(build_reject(R"({"sku_id":"a","title":"x","attrs":{"k":)" + std::string(5000, '[') + std::string(5000, ']') + "}}") ==
        "c.jsonl:2: json: nested too deeply");
  CHECK(build_reject(R"({"sku_id":"a","title":"x","price":1e400})") == "c.jsonl:2: json: number out of range or not finite");
  CHECK(build_reject(R"({"sku_id":"a","title":"x","price":1e300})") == "c.jsonl:2: price: implausibly large (over 1e12)");
  CHECK(build_reject(R"({"sku_id":"a","title":"x","sales_30d":123456789012345678901234567890})")
            .rfind("c.jsonl:2: ", 0) == 0);
  CHECK(build_reject(R"({"sku_id":"a","title":"x","price":NaN})").rfind("c.jsonl:2: json: invalid JSON", 0) == 0);
  CHECK(build_reject(R"({"sku_id":"a","title":"x","price":Infinity})").rfind("c.jsonl:2: json: invalid JSON", 0) == 0);
  CHECK(build_reject(R"({"sku_id":"a","title":"x","price":-0.0,"price":3})") == "c.jsonl:2: json: duplicate key \"price\"");
  CHECK(build_reject(R"({"sku_id":"a","title":"x","attrs":{"色":"红","色":"蓝"}})") == "c.jsonl:2: attrs: duplicate attribute \"色\"");
  CHECK(build_reject(R"({"sku_id":"ok1","title":"again"})").rfind("c.jsonl:2: sku_id: duplicate sku_id \"ok1\"", 0) == 0);
}

TEST_CASE("a truncated last line is rejected, the rest is kept", "[hostile]") {
  test::TempDir tmp;
  write(tmp.path + "/c.jsonl", kGood + "\n" + R"({"sku_id":"cut","title":"半截)");  // no newline, cut mid-string
  BuildOptions o;
  o.catalog_files = {tmp.path + "/c.jsonl"};
  o.index_dir = tmp.path + "/idx";
  o.on_error = OnError::Skip;
  auto s = build_index(o);
  CHECK(s.accepted == 1);
  REQUIRE(s.errors.size() == 1);
  CHECK(s.errors[0].line == 2);
  CHECK(s.errors[0].field == "json");
  // With the default (fail), the build stops and names the line; the old index stays.
  o.on_error = OnError::Fail;
  CHECK_THROWS_WITH(build_index(o), Catch::Contains("c.jsonl:2: json: invalid JSON"));
  CHECK(Searcher(tmp.path + "/idx").info().skus == 1);
}

TEST_CASE("empty catalog and delta files", "[hostile]") {
  test::TempDir tmp;
  write(tmp.path + "/empty.jsonl", "");
  write(tmp.path + "/blank.jsonl", "\n  \n\t\n");
  BuildOptions o;
  o.catalog_files = {tmp.path + "/empty.jsonl"};
  o.index_dir = tmp.path + "/idx";
  // An empty catalog builds an empty index (tests/test_catalog_input.cpp)...
  CHECK(build_index(o).accepted == 0);
  o.catalog_files = {tmp.path + "/blank.jsonl"};
  CHECK(build_index(o).accepted == 0);
  CHECK(Searcher(tmp.path + "/idx").info().skus == 0);
  // ... but does not replace a live index that has SKUs with nothing.
  write(tmp.path + "/one.jsonl", kGood + "\n");
  o.catalog_files = {tmp.path + "/one.jsonl"};
  build_index(o);
  o.catalog_files = {tmp.path + "/blank.jsonl"};
  CHECK_THROWS_WITH(build_index(o), Catch::Contains("no records"));
  CHECK(Searcher(tmp.path + "/idx").info().skus == 1);
  // An empty delta is a no-op update.
  UpdateOptions u;
  u.index_dir = tmp.path + "/idx";
  u.catalog_files = {tmp.path + "/empty.jsonl", tmp.path + "/blank.jsonl"};
  auto s = update_index(u);
  CHECK(s.records == 0);
  CHECK(s.batches == 0);
  CHECK(s.skus == 1);
  // An empty shops file is fine too.
  u.catalog_files.clear();
  u.shops_file = tmp.path + "/empty.jsonl";
  CHECK(update_index(u).shops_changed == 0);
}

TEST_CASE("a 100 MB line is rejected with bounded memory", "[hostile][slow]") {
  test::TempDir tmp;
  const std::string small = tmp.path + "/small.jsonl", big = tmp.path + "/big.jsonl";
  write(small, kGood + "\n");
  {
    std::ofstream f(big, std::ios::binary);
    f << kGood << "\n" << R"({"sku_id":"huge","title":")";
    std::string chunk(1 << 20, 'x');
    for (int i = 0; i < 100; ++i) f << chunk;
    f << "\"}\n" << R"({"sku_id":"after","title":"后面的记录"})" << "\n";
  }
  REQUIRE(fs::file_size(big) > 100u * 1024 * 1024);
  auto [st_small, rss_small] = run_measured({"build", "--catalog", small, "--index", tmp.path + "/a", "-q"});
  REQUIRE(st_small == 0);
  auto [st_big, rss_big] = run_measured({"build", "--catalog", big, "--index", tmp.path + "/b", "-q", "--on-error",
                                         "skip", "--rejects", tmp.path + "/rejects.txt"});
  REQUIRE(st_big == 0);
  INFO("peak RSS: small catalog " << rss_small << " KiB, with a 100 MB line " << rss_big << " KiB");
  CHECK(rss_big < rss_small + 16 * 1024);  // the line is skipped, never buffered
  CHECK(Searcher(tmp.path + "/b").info().skus == 2);
  std::ifstream rej(tmp.path + "/rejects.txt");
  std::string first;
  std::getline(rej, first);
  CHECK(first == "# " + big + ":2: line: longer than 1048576 bytes");
  // The update path screens lines the same way.
  UpdateOptions u;
  u.index_dir = tmp.path + "/b";
  u.catalog_files = {big};
  CHECK_THROWS_WITH(update_index(u), Catch::Contains(":2: line: longer than 1048576 bytes"));
}

TEST_CASE("hostile queries get a sane answer quickly", "[hostile]") {
  test::TempDir tmp;
  BuildOptions o;
  o.catalog_files = {test::fixture("mini_catalog.jsonl")};
  o.shops_file = test::fixture("mini_shops.jsonl");
  o.index_dir = tmp.path + "/idx";
  o.shards = 2;
  build_index(o);
  Searcher s(tmp.path + "/idx");
  auto run = [&](const std::string& q) {
    SearchRequest req;
    req.query = q;
    auto t0 = std::chrono::steady_clock::now();
    SearchResult r = s.search(req);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO("query of " << q.size() << " bytes took " << secs << " s");
    CHECK(secs < 2.0);
    return r;
  };
  // Nothing searchable: an explanation, no hits, no error.
  for (std::string q : {std::string(""), std::string("   "), std::string("!!!"), std::string("，。！？、；：“”（）【】"),
                        std::string("...---***///\\\\|||"), std::string("\t\n")}) {
    auto r = run(q);
    CHECK(r.hits.empty());
    CHECK_FALSE(r.message.empty());
  }
  // Query syntax is not interpreted: operators are words or punctuation.
  for (std::string q : {"连衣裙 AND 红色", "连衣裙 OR NOT 手机壳", "\"连衣裙\"", "连衣* ( ) title:x", "AND OR NOT \"\" * ( ) title:x",
                        "NEAR/3 ADJ XOR 连衣裙", "-连衣裙 +红色", "连衣裙^2 ~0.8"})
    CHECK_NOTHROW(run(q));
  CHECK_FALSE(run("\"连衣裙\" (连衣裙)").hits.empty());
  // Long queries: 10,000 characters of words, of one repeated character, of mixed scripts.
  std::string words;
  while (words.size() < 10000) words += "连衣裙 手机壳 保温杯 iphone15 ";
  CHECK_NOTHROW(run(words));
  CHECK_NOTHROW(run(std::string(10000, 'a')));
  const char* chars[] = {"裙", "杯", "壳", "鞋", "包", "窗", "霜", "扣"};
  std::string han;
  for (int i = 0; i < 10000; ++i) han += chars[(i * 7 + i / 8) % 8];
  CHECK_NOTHROW(run(han));
  // Invalid UTF-8 and NUL bytes in a query.
  CHECK_NOTHROW(run("连衣裙\xff\xfe\xc3"));
  CHECK_NOTHROW(run(std::string("连衣\0裙", 10)));
  // The CLI agrees: exit 0 and one JSON object.
  auto r = test::run_cli("search --index " + tmp.path + "/idx --json '!!!'");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Catch::StartsWith("{") && Catch::Contains("\"hits\":[]"));
  r = test::run_cli("search --index " + tmp.path + "/idx --json 'AND OR NOT \"\" * ( ) title:x'");
  CHECK(r.status == 0);
}

TEST_CASE("JSON output is valid UTF-8 whatever the query bytes, and tables escape control characters", "[hostile][cli]") {
  // The escaping itself: invalid sequences (a stray byte, an overlong form, a surrogate, a cut
  // sequence) become U+FFFD per byte; valid 1- to 4-byte sequences pass; controls are escaped.
  std::string out;
  json::append_string(out, "a\xff" "b\xc0\xaf" "c\xed\xa0\x80" "d\xe8\xa3" "e\xf0\x9f\x98\x80" "f\x1b\x7f");
  CHECK(out == "\"a\xEF\xBF\xBD" "b\xEF\xBF\xBD\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
               "d\xEF\xBF\xBD\xEF\xBF\xBD" "e\xf0\x9f\x98\x80" "f\\u001b\\u007f\"");

  test::TempDir tmp;
  BuildOptions o;
  o.catalog_files = {test::fixture("mini_catalog.jsonl")};
  o.shops_file = test::fixture("mini_shops.jsonl");
  o.index_dir = tmp.path + "/idx";
  build_index(o);
  // Before: the query's bytes were copied into "query" as they came (invalid JSON), and the
  // table wrote ESC sequences to the terminal.
  const std::string q = "\"$(printf '\\350\\277\\236\\350\\241\\243\\350\\243\\231\\377\\376\\303 \\033[31m\\302\\233x')\"";
  auto r = test::run_cli("search --index " + tmp.path + "/idx --json " + q);
  REQUIRE(r.status == 0);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  CHECK(parser.parse(r.out).get(doc) == simdjson::SUCCESS);  // simdjson rejects invalid UTF-8
  std::string_view query;
  REQUIRE(doc["query"].get(query) == simdjson::SUCCESS);
  CHECK(query == "连衣裙\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD \x1b[31m\xc2\x9bx");
  auto t = test::run_cli("search --index " + tmp.path + "/idx " + q);
  REQUIRE(t.status == 0);
  CHECK(t.out.find('\x1b') == std::string::npos);
  CHECK(t.out.find("\xc2\x9b") == std::string::npos);
  CHECK_THAT(t.out, Catch::Contains("query: 连衣裙\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD \\x1b[31m\\u009bx"));
}
