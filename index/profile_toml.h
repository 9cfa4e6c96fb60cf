// Parsing a ranking profile's TOML text (profiles/default.toml): done once per profile, by the
// build-time reader (index/build_profile.cpp: [build], [integrity]) or the query-time one
// (engine/profile.cpp: every table, the build tables through read_build_tables()).
#pragma once

#include <fstream>
#include <sstream>
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

// A profile file's text; throws UsageError "PATH: cannot read ranking profile".
inline std::string read_profile_file_text(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw UsageError(path + ": cannot read ranking profile");
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace longtail::index
