// Small formatting helpers shared by the eval and bench reports (perf/ only).
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

namespace longtail::perf {

// A number as valid JSON: "%.6g", or null when it is not finite.
inline std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace longtail::perf
