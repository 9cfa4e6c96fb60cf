// common/: the one UTF-8 decoder, JSON writer and date parser every layer uses.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/utf8.h"

using namespace longtail;

namespace {
std::vector<char32_t> decode_all(std::string_view s) {
  std::vector<char32_t> out;
  for (size_t i = 0; i < s.size();) out.push_back(utf8::next(s, i));
  return out;
}
}  // namespace

TEST_CASE("utf8::next decodes 1- to 4-byte sequences", "[utf8]") {
  CHECK(decode_all("a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80") == std::vector<char32_t>{U'a', 0xE9, 0x4E2D, 0x1F600});
  CHECK(utf8::sequence_length("\xe4\xb8\xad", 0) == 3);
  CHECK(utf8::sequence_length("\xf0\x9f\x98\x80", 0) == 4);
  CHECK(utf8::sequence_length("x", 0) == 1);
  CHECK(utf8::count("连衣裙 red") == 7);
}

TEST_CASE("utf8::next gives one U+FFFD per byte of an ill-formed sequence", "[utf8]") {
  const char32_t R = utf8::kReplacement;
  // A stray byte, a lone continuation byte, an overlong form, a surrogate, a cut sequence (at
  // the end and before ASCII), above U+10FFFF, F5..FF.
  CHECK(decode_all("\xff") == std::vector<char32_t>{R});
  CHECK(decode_all("\x80x") == std::vector<char32_t>{R, U'x'});
  CHECK(decode_all("\xc0\xaf") == std::vector<char32_t>{R, R});
  CHECK(decode_all("\xe0\x80\xaf") == std::vector<char32_t>{R, R, R});
  CHECK(decode_all("\xed\xa0\x80") == std::vector<char32_t>{R, R, R});
  CHECK(decode_all("\xe8\xa3") == std::vector<char32_t>{R, R});
  CHECK(decode_all("\xe8\xa3z") == std::vector<char32_t>{R, R, U'z'});
  CHECK(decode_all("\xf4\x90\x80\x80") == std::vector<char32_t>{R, R, R, R});
  CHECK(decode_all("\xf5\x80") == std::vector<char32_t>{R, R});
  CHECK(utf8::sequence_length("\xe8\xa3", 0) == 0);
  CHECK(utf8::sequence_length("\xed\xa0\x80", 0) == 0);
  CHECK(utf8::count("\xe8\xa3z") == 3);
  // A sequence cut by the end of the view, though the bytes after it are readable.
  const std::string whole = "\xe4\xb8\xad";
  CHECK(utf8::sequence_length(std::string_view(whole).substr(0, 2), 0) == 0);
}

TEST_CASE("utf8::append encodes what utf8::next decodes", "[utf8]") {
  std::string s;
  for (char32_t cp : {char32_t(0x24), char32_t(0xA2), char32_t(0x20AC), char32_t(0x10348), char32_t(0x10FFFF)}) utf8::append(cp, s);
  CHECK(s == "\x24\xc2\xa2\xe2\x82\xac\xf0\x90\x8d\x88\xf4\x8f\xbf\xbf");
  CHECK(decode_all(s) == std::vector<char32_t>{0x24, 0xA2, 0x20AC, 0x10348, 0x10FFFF});
}

// ---------------------------------------------------------------------------------------------
// json::Writer

#include <cmath>
#include <cstdlib>
#include <limits>

#include "common/json_writer.h"

TEST_CASE("json::Writer puts commas and nesting right", "[json]") {
  std::string o;
  json::Writer w(o);
  w.object().field("a", 1).key("b").array().value("x").value(true).null().object().end().array().end().end()
      .field_strings("c", std::vector<std::string>{"p", "q"}).field_raw("d", "{\"k\":1}").key("e").object().end().end();
  CHECK(o == R"({"a":1,"b":["x",true,null,{},[]],"c":["p","q"],"d":{"k":1},"e":{}})");
  CHECK(w.depth() == 0);
  // Appends to what the string holds (a JSON Lines buffer).
  std::string lines = "{}\n";
  json::Writer(lines).array().value(1).value(2).end();
  CHECK(lines == "{}\n[1,2]");
}

TEST_CASE("json::Writer with an indent puts the outer members one per line", "[json]") {
  std::string o;
  json::Writer w(o, 2);
  w.object().field("a", 1).field_strings("b", std::vector<std::string>{"x", "y"}).key("c").object();
  w.key("f").object().field("bytes", 3).field("xxh3", "ab").end().end().key("d").array().end().end();
  CHECK(o == "{\n  \"a\": 1,\n  \"b\": [\n    \"x\",\n    \"y\"\n  ],\n  \"c\": {\n    \"f\": {\"bytes\": 3, \"xxh3\": \"ab\"}\n  },\n  \"d\": []\n}");
}

TEST_CASE("json numbers read back as the same double, integers exactly, NaN as null", "[json]") {
  for (double v : {0.1, 12345.67, 1234567.5, 1e-7, 1.0 / 3, 6.02214076e23, -0.0, 5e-324, 1.7976931348623157e308}) {
    const std::string s = json::number(v);
    CHECK(std::strtod(s.c_str(), nullptr) == v);
    CHECK(s.find_first_not_of("0123456789.-e+") == std::string::npos);
  }
  CHECK(json::number(12345.67) == "12345.67");  // %.6g wrote 12345.7
  CHECK(json::number(1234567.5) == "1234567.5");  // %.6g wrote 1.23457e+06
  CHECK(json::number(std::nan("")) == "null");
  CHECK(json::number(std::numeric_limits<double>::infinity()) == "null");
  std::string o;
  json::Writer(o).array().value(std::numeric_limits<int64_t>::min()).value(std::numeric_limits<uint64_t>::max()).value(uint32_t(7)).end();
  CHECK(o == "[-9223372036854775808,18446744073709551615,7]");
  o.clear();
  json::Writer(o).array().money(199.9 + 8.1).money(0.005 + 0.1).money(std::nan("")).end();
  CHECK(o == "[208,0.11,null]");
}

TEST_CASE("json strings are valid UTF-8 with one U+FFFD per bad byte and escaped controls", "[json][utf8]") {
  CHECK(json::quote("a\"b\\c\n\r\t\x01\x7f/") == "\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u007f/\"");
  CHECK(json::quote("连衣裙 \xf0\x9f\x98\x80") == "\"连衣裙 \xf0\x9f\x98\x80\"");
  CHECK(json::quote("x\xe8\xa3") == "\"x\xEF\xBF\xBD\xEF\xBF\xBD\"");
  CHECK(json::quote("\xc0\xaf") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  CHECK(json::quote(std::string_view("a\0b", 3)) == "\"a\\u0000b\"");
  std::string o;
  json::Writer(o).object().field("k\"ey", "v").end();
  CHECK(o == "{\"k\\\"ey\":\"v\"}");
}

// ---------------------------------------------------------------------------------------------
// civil dates

#include <ctime>

#include "common/civil_time.h"
#include "index/catalog.h"
#include "perf/random.h"

TEST_CASE("civil::parse_iso_time reads dates and date-times as Unix seconds", "[date]") {
  CHECK(civil::parse_iso_time("1970-01-01") == 0);
  CHECK(civil::parse_iso_time("2024-03-01") == 1709251200);
  CHECK(civil::parse_iso_time("2024-02-29T12:30:00Z") == 1709209800);
  CHECK(civil::parse_iso_time("2024-02-29 12:30") == 1709209800);
  CHECK(civil::parse_iso_time("2024-02-29T12:30:00.75Z") == 1709209800);
  CHECK(civil::parse_iso_time("2024-02-29T20:30:00+08:00") == 1709209800);
  CHECK(civil::parse_iso_time("2024-02-29T07:30:00-05:00") == 1709209800);
  CHECK(civil::parse_iso_time("1969-12-31T23:59:59Z") == -1);
  // Not dates: no such day, bad month, bad clock, trailing text, too short.
  for (const char* bad : {"2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "2024-01-01T24:00",
                          "2024-01-01T12:60", "2024-01-01X", "2024-01-01T12:00Zx", "2024-1-01", "20240101", ""})
    CHECK_FALSE(civil::parse_iso_time(bad).has_value());
  // The catalog's parser is this one.
  CHECK(index::parse_iso_time("2024-02-29T20:30:00+08:00") == 1709209800);
  CHECK_FALSE(index::parse_iso_time("2024-02-30").has_value());
}

TEST_CASE("civil dates agree with timegm and format back", "[date]") {
  perf::Rng r(7);
  for (int k = 0; k < 2000; ++k) {
    const int64_t t = int64_t(r.below64(32503680000ULL));  // 1970..3000
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    REQUIRE(civil::format_iso_time(t) == buf);
    REQUIRE(civil::parse_iso_time(buf) == t);
    std::string day;
    civil::append_date(day, t / 86400);
    REQUIRE(day == std::string(buf, 10));
    REQUIRE(civil::parse_date(day) == t / 86400);
  }
  CHECK(civil::format_iso_time(-1) == "1969-12-31T23:59:59Z");
  CHECK(civil::days_from_civil(2000, 3, 1) == 11017);
}

// ---------------------------------------------------------------------------------------------
// checksums

#include <cstring>
#include <filesystem>
#include <regex>

#include <xxhash.h>

#include "analyzers/analyzer.h"
#include "test_util.h"

TEST_CASE("lexicon checksums are versioned XXH3 digests", "[checksum]") {
  const auto base = analysis::Lexicon::load_default();
  const std::string c = base->checksum();
  CHECK(std::regex_match(c, std::regex("xxh3:[0-9a-f]{16}")));
  CHECK(c.starts_with(analysis::Lexicon::kChecksumPrefix));
  CHECK(analysis::Lexicon::load_default()->checksum() == c);  // stable
  const auto more = analysis::Lexicon::extend(*base, {{"袋鼠毛绒", 10, "learned"}});
  CHECK(more->checksum() != c);
  // Saved and loaded: the same content, the same digest.
  test::TempDir tmp;
  more->save(tmp.path + "/lex.bin");
  CHECK(analysis::Lexicon::load(tmp.path + "/lex.bin")->checksum() == more->checksum());
  // The file header's checksum is XXH3-64 of the rest (a flipped byte is refused).
  std::string bytes = test::read_file(tmp.path + "/lex.bin");
  REQUIRE(bytes.compare(0, 8, "LTLEX004") == 0);
  uint64_t stored = 0;
  std::memcpy(&stored, bytes.data() + 8, 8);
  CHECK(stored == XXH3_64bits(bytes.data() + 16, bytes.size() - 16));
  // A file of the previous format (its hand-written hash) is not read as this one.
  bytes.replace(0, 8, "LTLEX003");
  test::write_file(tmp.path + "/old.bin", bytes);
  CHECK_THROWS_AS(analysis::Lexicon::load(tmp.path + "/old.bin"), analysis::AnalysisError);
}

TEST_CASE("an index whose manifest has a pre-xxh3 lexicon checksum asks for a rebuild (exit 3)", "[checksum][cli]") {
  test::TempDir tmp;
  const std::string idx = test::build_mini_index(tmp.path + "/idx");
  std::string manifest_path;
  for (const auto& e : std::filesystem::recursive_directory_iterator(idx))
    if (e.path().filename() == "manifest.json") manifest_path = e.path().string();
  REQUIRE(!manifest_path.empty());
  const std::string manifest = test::read_file(manifest_path);
  const std::smatch m = [&] {
    std::smatch r;
    std::regex_search(manifest, r, std::regex("\"lexicon_checksum\": \"xxh3:([0-9a-f]{16})\""));
    return r;
  }();
  REQUIRE(m.size() == 2);
  CHECK(test::run_cli("search --index " + idx + " --json 连衣裙").status == 0);
  // As an index of the previous longtail recorded it: a bare digest.
  test::write_file(manifest_path, std::regex_replace(manifest, std::regex("\"xxh3:([0-9a-f]{16})\""), "\"$1\""));
  auto r = test::run_cli("search --index " + idx + " --json 连衣裙 2>&1");
  CHECK(r.status == 3);
  CHECK(r.out.find("rebuild the index with `longtail build`") != std::string::npos);
  CHECK(r.out.find("older longtail") != std::string::npos);
  CHECK_THROWS_AS(Searcher(idx), IndexMismatchError);
  // A current-format digest that does not match: a damaged index, not a version question.
  test::write_file(manifest_path, std::regex_replace(manifest, std::regex("xxh3:[0-9a-f]{16}"), "xxh3:0000000000000000"));
  r = test::run_cli("search --index " + idx + " --json 连衣裙 2>&1");
  CHECK(r.status == 1);
  CHECK(r.out.find("does not match the manifest's checksum") != std::string::npos);
}
