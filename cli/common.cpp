#include "cli/common.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "index/catalog.h"
#include "common/utf8.h"
#include "format/document.h"

namespace longtail::cli {

int64_t parse_time_option(const std::string& s, const char* flag) {
  if (!s.empty() && s.size() <= 12 && s.find_first_not_of("0123456789") == std::string::npos) return std::stoll(s);
  auto t = index::parse_iso_time(s);
  if (!t)
    throw UsageError(std::string(flag) + ": expected Unix seconds or an ISO date (2025-07-01, 2025-07-01T12:00:00Z), got \"" +
                     s + "\"");
  return *t;
}

void json_errors(json::Writer& w, const std::vector<RecordError>& errors) {
  w.array();
  for (const auto& e : errors) w.object().field("file", e.file).field("line", e.line).field("field", e.field).field("reason", e.reason).end();
  w.end();
}

void print_json_line(std::string json) {
  json += '\n';
  std::fwrite(json.data(), 1, json.size(), stdout);
}

namespace {
// Display columns of a code point (CJK and full-width forms: 2; an invalid byte, U+FFFD: 1).
size_t cp_width(char32_t cp) {
  return (cp >= 0x1100 && (cp <= 0x115F || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
                           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
                           (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) ||
                           (cp >= 0x20000 && cp <= 0x3FFFD)))
             ? 2
             : 1;
}
}  // namespace

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t n = c < 0x80 ? 1 : utf8::sequence_length(s, i);
    if (n == 0) {  // not UTF-8: the replacement character, as in JSON
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    // C0 controls, DEL and C1 controls (U+0080-U+009F, 0xC2 0x80-0x9F) would move the cursor,
    // recolour or retitle the terminal: shown as \xNN / \u00NN instead.
    const bool c1 = n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) < 0xA0;
    if (c < 0x20 || c == 0x7F || c1) {
      char buf[8];
      if (c1) std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(static_cast<unsigned char>(s[i + 1])));
      else std::snprintf(buf, sizeof buf, "\\x%02x", unsigned(c));
      out += buf;
    } else {
      out.append(s.data() + i, n);
    }
    i += n;
  }
  return out;
}

size_t display_width(std::string_view s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) w += cp_width(utf8::next(s, i));
  return w;
}

std::string fit_width(std::string_view s, size_t cols) {
  if (display_width(s) <= cols) return std::string(s);
  size_t w = 0, i = 0, cut = 0;
  while (i < s.size()) {
    size_t start = i;
    size_t cw = cp_width(utf8::next(s, i));
    if (w + cw > cols - 1) break;
    w += cw;
    cut = i;
    (void)start;
  }
  return std::string(s.substr(0, cut)) + "…";
}

void add_progress_flags(CLI::App& cmd, ProgressFlags& f) {
  cmd.add_flag("-q,--quiet", f.quiet, "No progress lines");
  cmd.add_flag("--progress", f.force, "Progress lines on stderr even when it is not a terminal (a line every 5 s)")
      ->excludes("--quiet");
}

struct ProgressLine::State {
  bool tty = false, open = false;
  std::string phase;
  double last_line_s = -1e9;
  std::string unprinted;  // a log's latest report not printed yet (printed when its phase ends)
};

ProgressLine::ProgressLine(const ProgressFlags& f) {
  if (f.quiet) return;
  const bool tty = ::isatty(STDERR_FILENO);
  if (!tty && !f.force) return;
  st_ = std::make_shared<State>();
  st_->tty = tty;
}

ProgressLine::~ProgressLine() {
  if (st_ && st_->open) std::fputc('\n', stderr);
  if (st_ && !st_->unprinted.empty()) std::fprintf(stderr, "%s\n", st_->unprinted.c_str());
}

namespace {
std::string amount(double v, const char* unit) {
  char buf[48];
  if (std::strcmp(unit, "bytes") == 0) {
    if (v < 1e6) std::snprintf(buf, sizeof buf, "%.1f KB", v / 1e3);
    else if (v >= 1e9) std::snprintf(buf, sizeof buf, "%.2f GB", v / 1e9);
    else std::snprintf(buf, sizeof buf, "%.1f MB", v / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f %s", v, unit);
  }
  return buf;
}
std::string duration(double s) {
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", int(s / 3600), int(std::fmod(s, 3600) / 60));
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%dm%02ds", int(s / 60), int(std::fmod(s, 60)));
  else std::snprintf(buf, sizeof buf, "%.1fs", s);
  return buf;
}
}  // namespace

std::string ProgressLine::format(const Progress& p) {
  std::string out = std::string(p.phase);
  out.resize(std::max<size_t>(out.size(), 8), ' ');
  char buf[64];
  const bool counts_records = std::strcmp(p.unit, "records") == 0 || std::strcmp(p.unit, "documents") == 0;
  if (p.total > 0 || p.records > 0 || p.done > 0) {
    std::snprintf(buf, sizeof buf, "%llu %s", static_cast<unsigned long long>(p.records),
                  counts_records ? p.unit : "records");
    out += buf;
    if (p.phase_elapsed_s >= 0.5) {
      std::snprintf(buf, sizeof buf, " (%.0f/s)", double(p.records) / p.phase_elapsed_s);
      out += buf;
    }
    if (!counts_records && p.done > 0)
      out += ", " + amount(double(p.done), p.unit);
  }
  if (p.total > 0) {
    std::snprintf(buf, sizeof buf, " of %s (%.1f%%)", amount(double(p.total), p.unit).c_str(),
                  100.0 * double(p.done) / double(p.total));
    out += buf;
  }
  out += "  elapsed " + duration(p.elapsed_s);
  if (p.total > 0) out += "  ETA " + (p.eta_s >= 0 ? duration(p.eta_s) : std::string("?"));
  return out;
}

std::function<void(const Progress&)> ProgressLine::callback() {
  if (!st_) return {};
  auto st = st_;
  return [st](const Progress& p) {
    const bool new_phase = st->phase != p.phase;
    if (st->tty) {
      if (new_phase && st->open) std::fputc('\n', stderr);  // each phase keeps its last line
      std::fprintf(stderr, "\r%-100s", format(p).c_str());
      st->open = true;
    } else {
      // A log: each phase's first and last reports, and one every 5 s between.
      if (new_phase && !st->unprinted.empty()) std::fprintf(stderr, "%s\n", st->unprinted.c_str());
      st->unprinted.clear();
      if (!new_phase && p.elapsed_s - st->last_line_s < 5.0) {
        if (p.total > 0 || p.records > 0 || p.done > 0) st->unprinted = format(p);  // else nothing new to say
        st->phase = p.phase;
        return;
      }
      std::fprintf(stderr, "%s\n", format(p).c_str());
      st->last_line_s = p.elapsed_s;
    }
    std::fflush(stderr);
    st->phase = p.phase;
  };
}

}  // namespace longtail::cli
