// Helpers shared by tests: temporary directories, fixture paths, running the CLI.
#pragma once

#include <unistd.h>

#include <array>
#include <fstream>
#include <iterator>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>

#include <longtail/longtail.h>

namespace longtail::test {

struct TempDir {
  std::string path;
  TempDir() {
    std::random_device rd;
    path = (std::filesystem::temp_directory_path() / ("longtail-test-" + std::to_string(::getpid()) + "-" +
                                                      std::to_string(rd())))
               .string();
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

inline std::string fixture(const std::string& name) { return std::string(LONGTAIL_SOURCE_DIR) + "/tests/data/" + name; }

// Builds the mini catalog and its shops (tests/data) into `dir`; returns `dir`.
inline std::string build_mini_index(const std::string& dir, int shards = 1) {
  BuildOptions o;
  o.catalog_files = {fixture("mini_catalog.jsonl")};
  o.shops_file = fixture("mini_shops.jsonl");
  o.index_dir = dir;
  o.shards = shards;
  build_index(o);
  return dir;
}

// Writes a whole file (replacing it).
inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
}

// A whole file's bytes ("" when it cannot be read).
inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

struct RunResult {
  int status = -1;
  std::string out;
};

// Runs the longtail CLI with a shell-quoted argument string; captures stdout (stderr is kept).
inline RunResult run_cli(const std::string& args) {
  RunResult r;
  std::string cmd = std::string(LONGTAIL_CLI_PATH) + " " + args;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

}  // namespace longtail::test
