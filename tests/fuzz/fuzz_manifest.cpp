// libFuzzer target: the manifest reader (index/index_dir.h parse_manifest, what read_manifest
// does with manifest.json). A damaged manifest must be a DataError naming the file; an accepted
// one must be self-consistent and survive to_json -> parse_manifest unchanged (every command that
// rewrites a manifest relies on that round trip).
#include <cstdint>
#include <string>

#include "index/index_dir.h"
#include "tests/fuzz/fuzz_util.h"

using namespace longtail;

namespace {
constexpr const char* kPath = "gen-fuzz/manifest.json";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  index::Manifest m;
  try {
    m = index::parse_manifest(std::string(fuzz::as_text(data, size)), kPath);
  } catch (const DataError& e) {
    fuzz::require(std::string(e.what()).find(kPath) != std::string::npos);
    return 0;
  }
  fuzz::require(m.shards >= 1 && m.shard_paths.size() == size_t(m.shards));
  fuzz::require(m.ordered_docs.empty() || m.ordered_docs.size() == size_t(m.shards));
  const std::string json = m.to_json();
  fuzz::require(index::parse_manifest(json, kPath).to_json() == json);
  try {
    index::check_compatible(m, "fuzz-index");
  } catch (const Error&) {
  }
  return 0;
}
