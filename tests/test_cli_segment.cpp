// The `longtail segment` contract other tools depend on (issue 3): one output line per input
// line; plain mode prints original tokens separated by single spaces that join back to the
// line's non-whitespace characters; index/query print normalized terms; --index loads the
// lexicon stored in an index directory.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "analyzers/analyzer.h"
#include "tests/test_util.h"

namespace {

#ifdef LONGTAIL_CLI_PATH
// Runs the CLI with `args`, feeding `input` on stdin; returns stdout and sets rc.
std::string run_cli(const std::string& args, const std::string& input, int& rc) {
  // A directory of its own: ctest runs these cases in parallel processes.
  longtail::test::TempDir tmp;
  const std::string in_path = tmp.path + "/in.txt";
  const std::string out_path = tmp.path + "/out.txt";
  {
    std::ofstream f(in_path, std::ios::binary);
    f << input;
  }
  const std::string cmd = std::string("\"") + LONGTAIL_CLI_PATH + "\" segment " + args + " < \"" + in_path + "\" > \"" +
                          out_path + "\" 2>/dev/null";
  const int status = std::system(cmd.c_str());
  rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream f(out_path, std::ios::binary);
  std::string out((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  return out;
}
#endif

}  // namespace

#ifdef LONGTAIL_CLI_PATH

TEST_CASE("cli segment: plain mode, one line per input line", "[cli][segment]") {
  int rc = -1;
  const std::string out = run_cli("", "苹果iPhone15 Pro Max手机壳\n\nCHANDO/自然堂　500ml\n", rc);
  CHECK(rc == 0);
  // 壳 and 堂 mostly end words: plain mode attaches them to the word before (analyzers/README.md).
  CHECK(out == "苹果 iPhone15 Pro Max 手机壳\n\nCHANDO / 自然堂 500ml\n");
}

TEST_CASE("cli segment: index and query modes print normalized terms", "[cli][segment]") {
  int rc = -1;
  CHECK(run_cli("--mode index", "ｉＰｈｏｎｅ15 保护套\n", rc) == "iphone15 iphone 15 保护套 保护 护套 套\n");
  CHECK(rc == 0);
  CHECK(run_cli("--mode query", "臺灣電腦 大落地窗\n", rc) == "台湾 电脑 大 落地窗\n");
  CHECK(rc == 0);
}

TEST_CASE("cli segment: --index uses the lexicon stored in the index", "[cli][segment]") {
  longtail::test::TempDir tmp;  // its own directory: concurrent test runs must not share it
  const std::filesystem::path dir = tmp.path;
  const auto base = longtail::analysis::Lexicon::load_default();
  longtail::analysis::Lexicon::extend(*base, {{"手机壳", 2000, "cat"}})->save((dir / "lexicon.bin").string());
  int rc = -1;
  CHECK(run_cli("--mode query --index \"" + dir.string() + "\"", "华为手机壳\n", rc) == "华为 手机壳\n");
  CHECK(rc == 0);
  CHECK(run_cli("--mode query", "华为手机壳\n", rc) == "华为 手机 壳\n");
}

TEST_CASE("cli segment: bad usage exits with 2, a missing index with non-zero", "[cli][segment]") {
  int rc = -1;
  run_cli("--mode bogus", "x\n", rc);
  CHECK(rc == 2);
  run_cli("--index /nonexistent/longtail-index", "x\n", rc);
  CHECK(rc != 0);
}

TEST_CASE("cli segment: missing OpenCC dictionaries are a clear error, not a crash", "[cli][segment][opencc]") {
  longtail::test::TempDir tmp;
  const std::string out_path = tmp.path + "/out.txt";
  const std::string cmd = "echo 記憶體 | LONGTAIL_OPENCC_DIR=\"" + tmp.path + "/none\" \"" + LONGTAIL_CLI_PATH +
                          "\" segment > \"" + out_path + "\" 2>&1";
  const int status = std::system(cmd.c_str());
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) != 0));
  std::ifstream f(out_path, std::ios::binary);
  const std::string out((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  CHECK_THAT(out, Catch::Contains("OpenCC dictionary " + tmp.path + "/none/") && Catch::Contains("LONGTAIL_OPENCC_DIR"));
}

#endif
