// Parsing a ranking profile's TOML text (profiles/default.toml), shared by the build-time readers
// (index/signals.cpp, index/build_profile.cpp) and the query-time one (engine/profile.cpp).
#pragma once

#include <string>
#include <string_view>

#include <toml++/toml.h>

#include <longtail/longtail.h>

namespace longtail::index {

// Throws UsageError "SOURCE:LINE:COLUMN: description" for a syntax error.
inline toml::table parse_profile_toml(std::string_view text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    const auto& b = e.source().begin;
    throw UsageError(source + ":" + std::to_string(b.line) + ":" + std::to_string(b.column) + ": " +
                     std::string(e.description()));
  }
}

}  // namespace longtail::index
