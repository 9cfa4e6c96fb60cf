// Helpers of the fuzz targets. The readers of the index's own files take a path, so their targets
// write each input to a scratch directory of the process first.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

namespace longtail::fuzz {

// A broken invariant is a finding: stop the way a sanitizer report does.
inline void require(bool ok) {
  if (!ok) __builtin_trap();
}

// A fresh directory for this process (libFuzzer's -fork and -jobs run several), removed at exit.
// The path is leaked on purpose: the exit handler, registered while the static is still being
// initialized, runs after the static's destructor would have.
inline const std::string& scratch_dir(const char* target) {
  static const std::string* dir = [&] {
    auto* d = new std::string((std::filesystem::temp_directory_path() /
                               ("longtail-fuzz-" + std::string(target) + "-" + std::to_string(::getpid())))
                                  .string());
    std::filesystem::create_directories(*d);
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(scratch_dir(""), ec);
    });
    return d;
  }();
  return *dir;
}

inline void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
}

// `input` cut at each `sep`, so that one input can hold the several files a reader takes.
inline std::vector<std::string_view> split(std::string_view input, std::string_view sep) {
  std::vector<std::string_view> parts;
  for (size_t at = 0;;) {
    size_t end = input.find(sep, at);
    if (end == std::string_view::npos) {
      parts.push_back(input.substr(at));
      return parts;
    }
    parts.push_back(input.substr(at, end - at));
    at = end + sep.size();
  }
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace longtail::fuzz
