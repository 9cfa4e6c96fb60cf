// Access to the real marketplace text in ../shared/data (never copied into the repository).
// CTest sets LONGTAIL_SHARED_DATA; tests that need a file skip with a clear message without it.
#pragma once

#include <cstdlib>
#include <fstream>
#include <string>

namespace longtail::test {

// Opens $LONGTAIL_SHARED_DATA/<relative>. On failure returns false and sets `why`.
inline bool open_shared_data(const std::string& relative, std::ifstream& in, std::string& why) {
  const char* root = std::getenv("LONGTAIL_SHARED_DATA");
  const std::string path = std::string(root ? root : "") + "/" + relative;
  if (root) in.open(path);
  if (root && in) return true;
  why = "skipped: shared data not found (set LONGTAIL_SHARED_DATA; looked for " + path + ")";
  return false;
}

}  // namespace longtail::test
