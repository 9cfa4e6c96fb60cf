// The build-time tables of a ranking profile (profiles/default.toml): [build] sets the signal
// constants (index/signals.h SignalParams), [integrity] the detector thresholds
// (index/integrity.h IntegrityThresholds). `longtail build --profile FILE` reads them; the
// [integrity] keys that ranking applies at query time (max_violations,
// remove_blocked, sort_demote_below: engine/profile.h) are skipped here.
#pragma once

#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "index/integrity.h"
#include "index/signals.h"

namespace longtail::index {

struct BuildProfile {
  SignalParams signals;
  IntegrityThresholds integrity;
};

// The [integrity] keys read by ranking at query time, not by the detectors.
bool is_ranking_integrity_key(std::string_view key);

// The build tables of a parsed profile over the defaults: [build] (every key checked: unknown,
// type, range) and [integrity] (the detector thresholds; the ranking keys of is_ranking_integrity_key
// are left to engine/profile.cpp). Other tables are not looked at. Throws UsageError
// "SOURCE: table.key: reason".
BuildProfile read_build_tables(const toml::table& root, const std::string& source);
// Parses a profile's TOML text over the defaults (read_build_tables). Throws UsageError
// "SOURCE: table.key: reason", or "SOURCE:LINE:COLUMN: ..." for a syntax error.
BuildProfile read_build_profile(std::string_view toml, const std::string& source);
// Reads a profile file; throws UsageError if it cannot be read or is invalid.
BuildProfile read_build_profile_file(const std::string& path);

}  // namespace longtail::index
