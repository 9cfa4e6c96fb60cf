#include "index/build_profile.h"
#include "index/profile_toml.h"

#include <cmath>
#include <sstream>

#include <toml++/toml.h>

#include <longtail/longtail.h>

namespace longtail::index {

bool is_ranking_integrity_key(std::string_view key) {
  return key == "max_violations" || key == "remove_blocked" || key == "sort_demote_below";
}

namespace {

SignalParams read_build_table(const toml::table& root, const std::string& source) {
  SignalParams p;
  const toml::table* t = root["build"].as_table();
  if (!t) return p;
  struct Key {
    const char* name;
    double SignalParams::*field;
    double lo, hi;
  };
  static const Key kKeys[] = {
      {"sales_quantile", &SignalParams::sales_quantile, 0.5, 1},
      {"sales_category_prior", &SignalParams::sales_category_prior, 0, 1e9},
      {"sales_min_reference", &SignalParams::sales_min_reference, 0, 1e9},
      {"wilson_z", &SignalParams::wilson_z, 0, 10},
      {"dsr_prior_ratings", &SignalParams::dsr_prior_ratings, 0, 1e9},
      {"dsr_scale", &SignalParams::dsr_scale, 0.001, 5},
      {"dsr_category_prior", &SignalParams::dsr_category_prior, 0, 1e9},
      {"violation_step", &SignalParams::violation_step, 0, 100},
      {"prior_sales", &SignalParams::prior_sales, 0, 1000},
      {"prior_rating", &SignalParams::prior_rating, 0, 1000},
      {"prior_shop", &SignalParams::prior_shop, 0, 1000},
  };
  for (const auto& [k, v] : *t) {
    std::string key = "build." + std::string(k.str());
    const Key* def = nullptr;
    for (const auto& d : kKeys)
      if (k.str() == d.name) def = &d;
    if (!def) throw UsageError(source + ": " + key + ": unknown key (see profiles/default.toml for the keys)");
    std::optional<double> d = v.value<double>();
    if (!d || v.is_boolean()) throw UsageError(source + ": " + key + ": expected a number");
    if (!std::isfinite(*d) || *d < def->lo || *d > def->hi) {
      std::ostringstream o;
      o << source << ": " << key << ": " << *d << " is out of range [" << def->lo << ", " << def->hi << "]";
      throw UsageError(o.str());
    }
    p.*(def->field) = *d;
  }
  if (p.prior_sales + p.prior_rating + p.prior_shop <= 0)
    throw UsageError(source + ": build.prior_*: the static prior weights are all 0");
  return p;
}

}  // namespace

BuildProfile read_build_tables(const toml::table& root, const std::string& source) {
  BuildProfile p;
  p.signals = read_build_table(root, source);
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

BuildProfile read_build_profile(std::string_view text, const std::string& source) {
  return read_build_tables(parse_profile_toml(text, source), source);
}

BuildProfile read_build_profile_file(const std::string& path) {
  return read_build_profile(read_profile_file_text(path), path);
}

}  // namespace longtail::index
