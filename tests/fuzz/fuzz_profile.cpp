// libFuzzer target: the ranking profile readers, query time (engine/profile.h parse_profile) and
// build time (index/build_profile.h read_build_profile), on arbitrary TOML text. A bad profile
// must be a UsageError naming its source; a crash, a hang or any other exception is a finding.
#include <cstdint>
#include <string>

#include <longtail/longtail.h>

#include "engine/profile.h"
#include "index/build_profile.h"
#include "tests/fuzz/fuzz_util.h"

using namespace longtail;

namespace {
constexpr const char* kSource = "fuzz.toml";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  try {
    engine::RankingProfile p = engine::parse_profile(text, kSource);
    fuzz::require(p.max_blend() > 0 && !p.price_bands.empty());
  } catch (const UsageError& e) {
    fuzz::require(std::string(e.what()).find(kSource) != std::string::npos);
  }
  try {
    index::read_build_profile(text, kSource);
  } catch (const UsageError& e) {
    fuzz::require(std::string(e.what()).find(kSource) != std::string::npos);
  }
  return 0;
}
