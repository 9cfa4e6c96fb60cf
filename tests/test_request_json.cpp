// Search requests as JSON (SearchRequest::from_json) and `longtail search --batch`: one query
// or one JSON request a line in, one JSON result a line out, the index opened once.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>

#include <longtail/longtail.h>

#include "tests/test_util.h"

using namespace longtail;

TEST_CASE("SearchRequest::from_json reads every field and keeps defaults", "[request]") {
  const auto r = SearchRequest::from_json(
      R"({"query":"连衣裙","categories":["女装"],"brands":["优衣库"],"shops":["shop_a"],)"
      R"("attrs":{"颜色":["红色","黑色"],"尺码":"M"},"price_min":10,"price_max":200.5,"offset":5,"limit":20,)"
      R"("collapse":false,"sort":"sales","facets":["brand","price"],"explain":true,"now":1700000000,)"
      R"("profile":"p.toml","user":{"brands":{"优衣库":0.5}},"correct":false})");
  CHECK(r.query == "连衣裙");
  CHECK(r.categories == std::vector<std::string>{"女装"});
  CHECK(r.brands == std::vector<std::string>{"优衣库"});
  CHECK(r.shops == std::vector<std::string>{"shop_a"});
  CHECK(r.attrs == std::vector<std::pair<std::string, std::string>>{{"颜色", "红色"}, {"颜色", "黑色"}, {"尺码", "M"}});
  CHECK(*r.price_min == 10);
  CHECK(*r.price_max == 200.5);
  CHECK(r.offset == 5);
  CHECK(r.limit == 20);
  CHECK_FALSE(r.collapse);
  CHECK(r.sort == SortOrder::Sales);
  CHECK(r.facets == std::vector<std::string>{"brand", "price"});
  CHECK(r.explain);
  CHECK(r.now == 1700000000);
  CHECK(r.profile == "p.toml");
  REQUIRE(r.user);
  CHECK(r.user->brands.at("优衣库") == 0.5);
  CHECK_FALSE(r.correct);

  const auto d = SearchRequest::from_json(R"({"query":"手机"})");
  CHECK(d.limit == 10);
  CHECK(d.collapse);
  CHECK(d.correct);
  CHECK_FALSE(d.price_min);
}

TEST_CASE("SearchRequest::from_json names the field it refuses", "[request]") {
  auto refused = [](const std::string& json, const std::string& needle) {
    INFO(json);
    CHECK_THROWS_WITH(SearchRequest::from_json(json), Catch::Contains(needle));
  };
  refused(R"({"limit":0})", "\"limit\"");
  refused(R"({"limit":"10"})", "\"limit\"");
  refused(R"({"query":5})", "\"query\"");
  refused(R"({"brands":"nike"})", "\"brands\"");
  refused(R"({"sort":"cheapest"})", "\"sort\"");
  refused(R"({"price_min":-1})", "\"price_min\"");
  refused(R"({"price_min":20,"price_max":10})", "price_max");
  refused(R"({"attrs":{"颜色":3}})", "attrs.颜色");
  refused(R"({"user":{"brands":{"x":2}}})", "user preferences");
  refused(R"({"qeury":"typo"})", "unknown field \"qeury\"");
  refused(R"(["query"])", "expected a JSON object");
  refused(R"({"query":)", "invalid JSON");
}

TEST_CASE("CLI: search --batch answers one JSON line per input line", "[request]") {
  test::TempDir tmp;
  const std::string idx = tmp.path + "/idx";
  REQUIRE(test::run_cli("build -q --catalog " + test::fixture("mini_catalog.jsonl") + " --index " + idx).status == 0);
  test::write_file(tmp.path + "/in.txt",
                   "\xEF\xBB\xBF连衣裙\n"  // a byte-order mark on line 1 is dropped
                   "{\"query\":\"连衣裙\",\"limit\":1}\n"
                   "\n"
                   "{\"limit\":0}\n"
                   "手机\r\n");
  const auto r = test::run_cli("search --index " + idx + " --batch -n 3 < " + tmp.path + "/in.txt");
  REQUIRE(r.status == 0);
  std::vector<std::string> lines;
  for (size_t i = 0; i < r.out.size();) {
    size_t j = r.out.find('\n', i);
    lines.push_back(r.out.substr(i, j - i));
    i = j + 1;
  }
  REQUIRE(lines.size() == 5);
  auto hits = [](const std::string& line) {
    size_t n = 0;
    for (size_t p = line.find("\"rank\":"); p != std::string::npos; p = line.find("\"rank\":", p + 1)) ++n;
    return n;
  };
  CHECK(lines[0].rfind("{\"query\":\"连衣裙\"", 0) == 0);
  CHECK(hits(lines[0]) == 3);  // -n 3 applies to plain lines
  CHECK(hits(lines[1]) == 1);  // the JSON request's own limit
  CHECK(lines[2].find("no searchable words") != std::string::npos);
  CHECK(lines[3].find("\"error\":") != std::string::npos);
  CHECK(lines[3].find("limit") != std::string::npos);
  CHECK(lines[4].rfind("{\"query\":\"手机\"", 0) == 0);  // CR stripped
  CHECK(test::run_cli("search --index " + idx + " --batch 连衣裙 < /dev/null 2>/dev/null").status == 2);
}

TEST_CASE("to_json: the CLI's JSON, numbers that read back exactly, prices to the cent", "[request][json]") {
  test::TempDir tmp;
  const std::string idx = test::build_mini_index(tmp.path + "/idx");
  Searcher s(idx);
  SearchRequest req;
  req.query = "保温杯";
  req.now = 1751328000;  // 2025-07-01: newness, and so the scores, the same for both
  const SearchResult r = s.search(req);
  REQUIRE_FALSE(r.hits.empty());
  const std::string json = to_json(r);
  // The CLI prints exactly this (one writer for every front end).
  auto cli = test::run_cli("search --index " + idx + " --now 1751328000 --json 保温杯");
  CHECK(cli.out == json + "\n");
  // A score reads back as the same double.
  const std::string key = "\"score\":";
  const size_t at = json.find(key);
  REQUIRE(at != std::string::npos);
  CHECK(std::stod(json.substr(at + key.size())) == r.hits[0].score);
  CHECK(json.find("\"candidates\":") == std::string::npos);
  CHECK(to_json(r, true).find(",\"candidates\":") != std::string::npos);

  SearchResult made;
  made.query = "x";
  Hit h;
  h.sku_id = "a";
  h.price = 12345.67;
  h.score = 1234567.5;
  made.hits.push_back(h);
  h.sku_id = "b";
  h.price = 199.9;
  h.shipping_fee = 8.1;
  h.score = std::nan("");
  made.hits.push_back(h);
  h.sku_id = "c";
  h.price_known = false;
  made.hits.push_back(h);
  const std::string m = to_json(made);
  INFO(m);
  CHECK(m.find("\"sku_id\":\"a\"") != std::string::npos);
  CHECK(m.find("\"price\":12345.67,\"shipping_fee\":0,\"effective_price\":12345.67,\"score\":1234567.5,") != std::string::npos);
  CHECK(m.find("\"price\":199.9,\"shipping_fee\":8.1,\"effective_price\":208,\"score\":null,") != std::string::npos);
  CHECK(m.find("\"price\":null,\"shipping_fee\":8.1,\"effective_price\":null,") != std::string::npos);
}
