// JSON Lines reading and record validation: every bad-input class with its message.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "index/catalog.h"
#include "tests/test_util.h"

using namespace longtail;
using namespace longtail::index;

namespace {
// Parses one SKU line; returns "field: reason" on failure, "" on success.
std::string sku_error(const std::string& line, SkuRecord* out = nullptr) {
  RecordParser p;
  SkuRecord r;
  RecordError e;
  if (p.parse_sku(line, r, e)) {
    if (out) *out = r;
    return "";
  }
  return e.field + ": " + e.reason;
}
}  // namespace

TEST_CASE("a complete SKU record parses with every field", "[catalog]") {
  SkuRecord r;
  REQUIRE(sku_error(R"({"sku_id":"s1","item_id":"i1","shop_id":"shop9","title":"碎花连衣裙","category":"女装/连衣裙",)"
                    R"("brand":"优衣库","attrs":{"颜色":"红色","尺码":"M"},"price":59.0,"shipping_fee":0,)"
                    R"("sales_30d":120,"reviews":340,"good_reviews":330,"listed_at":"2024-03-01"})",
                    &r) == "");
  CHECK(r.sku_id == "s1");
  CHECK(r.item_id == "i1");
  CHECK(r.attrs.size() == 2);
  CHECK(r.attrs[0] == std::pair<std::string, std::string>{"颜色", "红色"});
  CHECK(r.price == 59.0);
  CHECK(r.sales_30d == 120);
  CHECK(r.listed_at == 1709251200);  // 2024-03-01T00:00:00Z
}

TEST_CASE("item_id defaults to sku_id", "[catalog]") {
  SkuRecord r;
  REQUIRE(sku_error(R"({"sku_id":"s1","title":"t"})", &r) == "");
  CHECK(r.item_id == "s1");
}

TEST_CASE("listed_at accepts ISO date, ISO date-time and Unix seconds", "[catalog]") {
  SkuRecord r;
  REQUIRE(sku_error(R"({"sku_id":"a","title":"t","listed_at":"2024-03-01T08:00:00+08:00"})", &r) == "");
  CHECK(r.listed_at == 1709251200);
  REQUIRE(sku_error(R"({"sku_id":"a","title":"t","listed_at":"2024-03-01 00:00:01Z"})", &r) == "");
  CHECK(r.listed_at == 1709251201);
  REQUIRE(sku_error(R"({"sku_id":"a","title":"t","listed_at":1709251200})", &r) == "");
  CHECK(r.listed_at == 1709251200);
  CHECK(sku_error(R"({"sku_id":"a","title":"t","listed_at":"yesterday"})") ==
        "listed_at: not an ISO date, ISO date-time or Unix seconds");
  CHECK(sku_error(R"({"sku_id":"a","title":"t","listed_at":"2024-13-01"})").rfind("listed_at:", 0) == 0);
  // One range for both forms (found by fuzz_record_parser: a date after 3000 was accepted as a
  // date and refused as the Unix seconds it is written back as).
  CHECK(sku_error(R"({"sku_id":"a","title":"t","listed_at":"4046-11-20"})") == "listed_at: after year 3000");
  CHECK(sku_error(R"({"sku_id":"a","title":"t","listed_at":64872057600})") == "listed_at: after year 3000");
  CHECK(sku_error(R"({"sku_id":"a","title":"t","listed_at":"1960-01-01"})") == "listed_at: before 1970");
  REQUIRE(sku_error(R"({"sku_id":"a","title":"t","listed_at":"2999-12-31"})", &r) == "");
  CHECK(r.listed_at == 32503593600);
}

TEST_CASE("each bad-input class is rejected with its field and reason", "[catalog]") {
  CHECK(sku_error(R"({"sku_id":"a","title":)") .rfind("json: invalid JSON", 0) == 0);
  CHECK(sku_error("{\"sku_id\":\"a\",\"title\":\"\xff\xfe\"}") == "utf8: invalid UTF-8");
  CHECK(sku_error(R"({"title":"t"})") == "sku_id: missing (required)");
  CHECK(sku_error(R"({"sku_id":"a"})") == "title: missing (required)");
  CHECK(sku_error(R"({"sku_id":"a","title":""})") == "title: must not be empty");
  CHECK(sku_error(R"({"sku_id":7,"title":"t"})") == "sku_id: must be a string");
  CHECK(sku_error(R"({"sku_id":"a","title":"t","price":"12"})") == "price: must be a number");
  CHECK(sku_error(R"({"sku_id":"a","title":"t","price":-1})") == "price: must not be negative");
  CHECK(sku_error(R"({"sku_id":"a","title":"t","shipping_fee":1e999})") == "json: number out of range or not finite");
  CHECK(sku_error(R"({"sku_id":"a","title":"t","sales_30d":1.5})") == "sales_30d: must be a whole number");
  CHECK(sku_error(R"({"sku_id":"a","title":"t","reviews":3,"good_reviews":4})") == "good_reviews: exceeds reviews");
  CHECK(sku_error(R"({"sku_id":"a","title":"t","attrs":["红色"]})") == "attrs: must be an object of strings");
  CHECK(sku_error(R"({"sku_id":"a","sku_id":"b","title":"t"})") == "json: duplicate key \"sku_id\"");
  CHECK(sku_error(R"(["sku_id","a"])") == "json: a record must be a JSON object");
  CHECK(sku_error(std::string(R"({"sku_id":"a","title":")") + std::string(kMaxTitleBytes + 1, 'x') + "\"}") ==
        "title: longer than " + std::to_string(kMaxTitleBytes) + " bytes (" + std::to_string(kMaxTitleBytes + 1) + ")");
  CHECK(sku_error(std::string(2000, '[') + std::string(2000, ']')) == "json: nested too deeply");
}

TEST_CASE("shop records validate DSR ranges", "[catalog]") {
  RecordParser p;
  ShopRecord s;
  RecordError e;
  REQUIRE(p.parse_shop(R"({"shop_id":"s","name":"店","dsr":{"description":4.8,"service":4.7,"shipping":4.9,"delivery":4.6},"ratings_6m":1200,"violations":1})", s, e));
  CHECK(s.dsr_shipping == 4.9);
  CHECK(s.violations == 1);
  CHECK_FALSE(p.parse_shop(R"({"shop_id":"s","dsr":{"service":7}})", s, e));
  CHECK(e.field == "dsr");
  CHECK(e.reason == "dsr.service must be between 1 and 5");
  CHECK_FALSE(p.parse_shop(R"({"name":"x"})", s, e));
  CHECK(e.field == "shop_id");
}

TEST_CASE("line reader numbers lines, handles CRLF, a last line without newline and overlong lines", "[catalog]") {
  test::TempDir tmp;
  std::string path = tmp.path + "/in.jsonl";
  {
    std::ofstream f(path, std::ios::binary);
    f << "a\r\n\nbb\n" << std::string(5000, 'x') << "\nlast";
  }
  LineReader r(path, 1000);
  LineReader::Line l;
  REQUIRE(r.next(l));
  CHECK(l.text == "a");
  CHECK(l.number == 1);
  REQUIRE(r.next(l));
  CHECK(l.text.empty());
  REQUIRE(r.next(l));
  CHECK(l.text == "bb");
  REQUIRE(r.next(l));
  CHECK(l.too_long);
  CHECK(l.number == 4);
  REQUIRE(r.next(l));
  CHECK(l.text == "last");
  CHECK(l.number == 5);
  CHECK_FALSE(r.next(l));
}

TEST_CASE("a missing catalog file is a usage error naming the file", "[catalog]") {
  CHECK_THROWS_WITH(LineReader("/nonexistent/catalog.jsonl"), Catch::Contains("/nonexistent/catalog.jsonl"));
  CHECK_THROWS_AS(LineReader("/nonexistent/catalog.jsonl"), UsageError);
}

TEST_CASE("category levels", "[catalog]") {
  CHECK(category_levels("女装/连衣裙/长裙") == std::vector<std::string>{"女装", "女装/连衣裙", "女装/连衣裙/长裙"});
  CHECK(category_levels("").empty());
}
