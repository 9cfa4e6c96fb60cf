// Catalogs read compressed (zstd): `longtail build --catalog catalog.jsonl.zst` reads the same
// records as the plain file, numbers lines as the plain file, and a truncated or damaged
// compressed file is an error naming it (index/catalog.h LineReader).
#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include <zstd.h>

#include <longtail/longtail.h>

#include "index/catalog.h"
#include "tests/search_cases.h"
#include "tests/test_util.h"

using namespace longtail;

namespace {

std::string zstd(const std::string& text, int level = 3) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), level);
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::vector<std::string> lines_of(const std::string& path, std::vector<uint64_t>* numbers = nullptr) {
  index::LineReader r(path, 1000);
  index::LineReader::Line l;
  std::vector<std::string> out;
  while (r.next(l)) {
    out.push_back(l.too_long ? "<too long>" : std::string(l.text));
    if (numbers) numbers->push_back(l.number);
  }
  return out;
}

}  // namespace

TEST_CASE("a zstd-compressed input reads as the same lines, numbered alike, across frames and buffer refills", "[catalog]") {
  test::TempDir tmp;
  // CRLF, an empty line, an overlong line, a last line without a newline, and enough lines that
  // the decompressed text spans several of the reader's refills.
  std::string text = "a\r\n\nbb\n" + std::string(5000, 'x') + "\n";
  for (int i = 0; i < 60000; ++i) text += "{\"sku_id\":\"s" + std::to_string(i) + "\",\"title\":\"碎花连衣裙\"}\n";
  text += "last";
  test::write_file(tmp.path + "/plain.jsonl", text);
  test::write_file(tmp.path + "/c.jsonl.zst", zstd(text));
  // Two frames one after the other (as `cat a.zst b.zst` or a parallel compressor writes).
  const size_t half = text.size() / 2;
  test::write_file(tmp.path + "/two.zst", zstd(text.substr(0, half), 1) + zstd(text.substr(half), 19));
  std::vector<uint64_t> n_plain, n_zstd, n_two;
  const auto plain = lines_of(tmp.path + "/plain.jsonl", &n_plain);
  REQUIRE(plain.size() == 60005);
  CHECK(plain[0] == "a");
  CHECK(plain[3] == "<too long>");
  CHECK(plain.back() == "last");
  CHECK(lines_of(tmp.path + "/c.jsonl.zst", &n_zstd) == plain);
  CHECK(n_zstd == n_plain);
  CHECK(lines_of(tmp.path + "/two.zst", &n_two) == plain);
  CHECK(n_two == n_plain);
  index::LineReader r(tmp.path + "/c.jsonl.zst");
  index::LineReader::Line l;
  while (r.next(l)) {
  }
  CHECK(r.compressed());
  CHECK(r.bytes_read() == r.total_bytes());  // progress counts compressed bytes

  // Short plain inputs (under the 4 bytes the reader looks at first) still read.
  test::write_file(tmp.path + "/short", "ab");
  CHECK(lines_of(tmp.path + "/short") == std::vector<std::string>{"ab"});
  test::write_file(tmp.path + "/empty", "");
  CHECK(lines_of(tmp.path + "/empty").empty());
}

TEST_CASE("a truncated or damaged zstd input is an error naming the file, not a shorter catalog", "[catalog]") {
  test::TempDir tmp;
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "{\"sku_id\":\"s" + std::to_string(i) + "\"}\n";
  const std::string z = zstd(text);
  test::write_file(tmp.path + "/cut.zst", z.substr(0, z.size() / 2));
  CHECK_THROWS_WITH(lines_of(tmp.path + "/cut.zst"), Catch::Contains("cut.zst") && Catch::Contains("truncated"));
  std::string bad = z;
  for (size_t i = 12; i < bad.size(); i += 7) bad[i] = char(~bad[i]);
  test::write_file(tmp.path + "/bad.zst", bad);
  CHECK_THROWS_WITH(lines_of(tmp.path + "/bad.zst"), Catch::Contains("bad.zst") && Catch::Contains("zstd"));
}

TEST_CASE("build from a zstd-compressed catalog gives the index of the plain catalog, and a bad record names its line", "[catalog][build]") {
  test::TempDir tmp;
  const std::string plain = test::read_file(test::fixture("mini_catalog.jsonl"));
  test::write_file(tmp.path + "/catalog.jsonl.zst", zstd(plain));
  auto build = [&](const std::string& catalog, const std::string& dir) {
    BuildOptions o;
    o.catalog_files = {catalog};
    o.shops_file = test::fixture("mini_shops.jsonl");
    o.index_dir = dir;
    o.shards = 2;
    o.threads = 2;
    return build_index(o);
  };
  const auto a = build(test::fixture("mini_catalog.jsonl"), tmp.path + "/plain");
  const auto b = build(tmp.path + "/catalog.jsonl.zst", tmp.path + "/zstd");
  CHECK(b.accepted == a.accepted);
  CHECK(b.items == a.items);
  Searcher sa(tmp.path + "/plain"), sb(tmp.path + "/zstd");
  for (const auto& q : test::kMiniQueries) {
    INFO(q);
    SearchRequest req;
    req.query = q;
    const auto ra = sa.search(req), rb = sb.search(req);
    CHECK(test::sku_ids(rb) == test::sku_ids(ra));
    REQUIRE(ra.hits.size() == rb.hits.size());
    for (size_t i = 0; i < ra.hits.size(); ++i) CHECK(rb.hits[i].score == ra.hits[i].score);
  }
  // Line 3 broken: the error names the compressed file and the decompressed line.
  std::string broken = plain;
  size_t at = 0;
  for (int k = 0; k < 2; ++k) at = broken.find('\n', at) + 1;
  broken.insert(at, "{\"sku_id\": 5}\n");
  test::write_file(tmp.path + "/broken.jsonl.zst", zstd(broken));
  CHECK_THROWS_WITH(build(tmp.path + "/broken.jsonl.zst", tmp.path + "/broken"),
                    Catch::Contains("broken.jsonl.zst:3") && Catch::Contains("sku_id"));
}
