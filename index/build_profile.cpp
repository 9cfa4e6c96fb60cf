#include "index/build_profile.h"
#include "index/profile_toml.h"

#include <fstream>
#include <sstream>

#include <toml++/toml.h>

#include <longtail/longtail.h>

namespace longtail::index {

bool is_ranking_integrity_key(std::string_view key) {
  return key == "max_violations" || key == "remove_blocked" || key == "sort_demote_below";
}

BuildProfile read_build_profile(std::string_view text, const std::string& source) {
  BuildProfile p;
  p.signals = SignalParams::from_profile(text, source);  // parses and checks [build]
  const toml::table root = parse_profile_toml(text, source);
  if (const toml::table* t = root["integrity"].as_table()) {
    for (const auto& [k, v] : *t) {
      if (is_ranking_integrity_key(k.str())) continue;
      std::optional<double> d = v.value<double>();
      if (!d || v.is_boolean()) throw UsageError(source + ": integrity." + std::string(k.str()) + ": expected a number");
      try {
        p.integrity.set(k.str(), *d);
      } catch (const UsageError& e) {
        throw UsageError(source + ": " + e.what());
      }
    }
  }
  return p;
}

BuildProfile read_build_profile_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw UsageError(path + ": cannot read ranking profile");
  std::stringstream ss;
  ss << f.rdbuf();
  return read_build_profile(ss.str(), path);
}

}  // namespace longtail::index
