// libFuzzer target: the shopper preferences reader (`longtail search --user FILE`,
// UserPreferences::from_json). Bad JSON must be a UsageError; accepted weights lie in [-1, 1]
// and a price band is 0 <= min <= max.
#include <cmath>
#include <cstdint>
#include <string>

#include <longtail/longtail.h>

#include "tests/fuzz/fuzz_util.h"

using namespace longtail;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  UserPreferences u;
  try {
    u = UserPreferences::from_json(std::string(fuzz::as_text(data, size)));
  } catch (const UsageError&) {
    return 0;
  }
  for (const auto* weights : {&u.categories, &u.brands})
    for (const auto& [k, w] : *weights) fuzz::require(w >= -1 && w <= 1);
  fuzz::require(u.price_min.has_value() == u.price_max.has_value());
  if (u.price_min) fuzz::require(*u.price_min >= 0 && *u.price_min <= *u.price_max && std::isfinite(*u.price_max));
  return 0;
}
