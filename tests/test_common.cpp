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
