// The one date parser of the project: ISO 8601 dates and date-times to days / Unix seconds, and
// back, on C++20 <chrono> civil-calendar arithmetic (std::chrono::year_month_day, sys_days)
// instead of hand-written day counting. Header-only: index/ (catalog listed_at, --since options)
// and perf/ (the generator's date range and listed_at) share it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace longtail::civil {

namespace detail {
inline bool digits(std::string_view s, size_t pos, size_t n, int& v) {
  if (pos + n > s.size()) return false;
  v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  return true;
}
}  // namespace detail

// Days since 1970-01-01 of the date y-m-d, or nullopt when there is no such date (2024-02-30,
// 2023-02-29, month 13).
inline std::optional<int64_t> days_from_civil(int y, unsigned m, unsigned d) {
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days{ymd}.time_since_epoch().count();
}

// "YYYY-MM-DD" (exactly) to days since 1970-01-01.
inline std::optional<int64_t> parse_date(std::string_view s) {
  int y, m, d;
  if (s.size() != 10 || !detail::digits(s, 0, 4, y) || s[4] != '-' || !detail::digits(s, 5, 2, m) || s[7] != '-' ||
      !detail::digits(s, 8, 2, d))
    return std::nullopt;
  return days_from_civil(y, unsigned(m), unsigned(d));
}

// "2024-03-01", "2024-03-01T12:30", "2024-03-01T12:30:00", "2024-03-01 12:30:00.25Z",
// "...+08:00" to Unix seconds (fractions of a second ignored; no zone = UTC).
inline std::optional<int64_t> parse_iso_time(std::string_view s) {
  using detail::digits;
  if (s.size() < 10) return std::nullopt;
  const auto days = parse_date(s.substr(0, 10));
  if (!days) return std::nullopt;
  int h = 0, mi = 0, se = 0;
  size_t p = 10;
  int64_t offset = 0;
  if (p < s.size()) {
    if (s[p] != 'T' && s[p] != ' ') return std::nullopt;
    if (!digits(s, p + 1, 2, h) || s.size() < p + 6 || s[p + 3] != ':' || !digits(s, p + 4, 2, mi)) return std::nullopt;
    p += 6;
    if (p < s.size() && s[p] == ':') {
      if (!digits(s, p + 1, 2, se)) return std::nullopt;
      p += 3;
    }
    if (p < s.size() && s[p] == '.') {  // fractional seconds: ignored
      ++p;
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
    }
    if (p < s.size()) {
      if (s[p] == 'Z' && p + 1 == s.size()) {
        ++p;
      } else if ((s[p] == '+' || s[p] == '-') && s.size() == p + 6 && s[p + 3] == ':') {
        int oh, om;
        if (!digits(s, p + 1, 2, oh) || !digits(s, p + 4, 2, om)) return std::nullopt;
        offset = (oh * 3600 + om * 60) * (s[p] == '+' ? 1 : -1);
      } else {
        return std::nullopt;
      }
    }
    if (h > 23 || mi > 59 || se > 60) return std::nullopt;
  }
  return *days * 86400 + h * 3600 + mi * 60 + se - offset;
}

// Appends the date `days` after 1970-01-01 as "YYYY-MM-DD" (years 0..9999).
inline void append_date(std::string& out, int64_t days) {
  const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{days}}};
  const unsigned y = static_cast<unsigned>(static_cast<int>(ymd.year())), m = static_cast<unsigned>(ymd.month()),
                 d = static_cast<unsigned>(ymd.day());
  const char tmp[10] = {char('0' + y / 1000 % 10), char('0' + y / 100 % 10), char('0' + y / 10 % 10), char('0' + y % 10), '-',
                        char('0' + m / 10),        char('0' + m % 10),        '-',
                        char('0' + d / 10),        char('0' + d % 10)};
  out.append(tmp, 10);
}

// Unix seconds as "YYYY-MM-DDTHH:MM:SSZ".
inline std::string format_iso_time(int64_t t) {
  int64_t days = t / 86400, secs = t % 86400;
  if (secs < 0) {
    secs += 86400;
    --days;
  }
  std::string out;
  append_date(out, days);
  const int h = int(secs / 3600), mi = int(secs / 60 % 60), se = int(secs % 60);
  const char tmp[10] = {'T', char('0' + h / 10), char('0' + h % 10), ':', char('0' + mi / 10), char('0' + mi % 10), ':',
                        char('0' + se / 10), char('0' + se % 10), 'Z'};
  out.append(tmp, 10);
  return out;
}

}  // namespace longtail::civil
