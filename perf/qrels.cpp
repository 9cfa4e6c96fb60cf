#include "perf/qrels.h"

#include "perf/eval.h"

#include <cerrno>
#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <longtail/longtail.h>

namespace longtail::perf {
namespace {

// Calls fn(line_number, line) for every non-empty line (without the line break).
template <class Fn>
void for_each_line(const std::string& path, Fn&& fn) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw UsageError("cannot open " + path + ": " + std::strerror(errno));
  std::string line;
  char buf[4096];
  uint64_t n = 0;
  try {
    while (std::fgets(buf, sizeof buf, f)) {
      line.append(buf);
      if (line.back() != '\n' && !std::feof(f)) continue;
      ++n;
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      if (!line.empty()) fn(n, std::string_view(line));
      line.clear();
    }
  } catch (...) {
    std::fclose(f);
    throw;
  }
  std::fclose(f);
}

[[noreturn]] void bad_line(const std::string& path, uint64_t n, const std::string& why) {
  throw DataError(path + ":" + std::to_string(n) + ": " + why);
}

}  // namespace

const char* query_class_name(QueryClass c) {
  switch (c) {
    case QueryClass::Head: return "head";
    case QueryClass::Torso: return "torso";
    case QueryClass::Tail: return "tail";
  }
  return "tail";
}

QueryClass class_by_length(std::string_view query) {
  size_t chars = 0;
  for (unsigned char c : query) chars += (c & 0xC0) != 0x80 && c != ' ' && c != '\t';
  return chars <= 4 ? QueryClass::Head : chars <= 8 ? QueryClass::Torso : QueryClass::Tail;
}

std::vector<EvalQuery> read_queries(const std::string& path) {
  std::vector<EvalQuery> out;
  for_each_line(path, [&](uint64_t n, std::string_view line) {
    size_t t1 = line.find('\t');
    size_t t2 = t1 == std::string_view::npos ? t1 : line.find('\t', t1 + 1);
    if (t1 == std::string_view::npos || (t2 != std::string_view::npos && line.find('\t', t2 + 1) != std::string_view::npos))
      bad_line(path, n, "expected 2 or 3 tab-separated fields: qid, query[, class]");
    EvalQuery q;
    q.qid = line.substr(0, t1);
    q.text = line.substr(t1 + 1, t2 == std::string_view::npos ? std::string_view::npos : t2 - t1 - 1);
    if (q.qid.empty() || q.text.empty()) bad_line(path, n, "empty qid or query");
    if (t2 == std::string_view::npos) {
      q.cls = class_by_length(q.text);
    } else {
      std::string_view cls = line.substr(t2 + 1);
      if (cls == "head") q.cls = QueryClass::Head;
      else if (cls == "torso") q.cls = QueryClass::Torso;
      else if (cls == "tail") q.cls = QueryClass::Tail;
      else bad_line(path, n, "class must be head, torso or tail, got '" + std::string(cls) + "'");
    }
    out.push_back(std::move(q));
  });
  return out;
}

Qrels read_qrels(const std::string& path) {
  Qrels out;
  for_each_line(path, [&](uint64_t n, std::string_view line) {
    std::string_view f[4];
    int k = 0;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      if (j > i) {
        if (k == 4) bad_line(path, n, "expected 4 fields: qid 0 item_id grade");
        f[k++] = line.substr(i, j - i);
      }
      i = j;
    }
    if (k != 4) bad_line(path, n, "expected 4 fields: qid 0 item_id grade");
    int grade = 0;
    for (char c : f[3]) {
      if (c < '0' || c > '9' || grade > 1000) bad_line(path, n, "grade must be a non-negative integer");
      grade = grade * 10 + (c - '0');
    }
    out[std::string(f[0])][std::string(f[2])] = grade;
  });
  return out;
}

Run read_run(const std::string& path) {
  Run out;
  std::unordered_map<std::string, std::vector<std::pair<long, RankedItem>>> ranked;
  for_each_line(path, [&](uint64_t n, std::string_view line) {
    std::vector<std::string_view> f;
    size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      size_t j = i;
      while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
      if (j > i) f.push_back(line.substr(i, j - i));
      i = j;
    }
    if (f.size() != 6) bad_line(path, n, "expected 6 fields: qid Q0 item_id rank score tag");
    char* end = nullptr;
    std::string rank_s(f[3]), score_s(f[4]);
    long rank = std::strtol(rank_s.c_str(), &end, 10);
    if (*end || rank < 0) bad_line(path, n, "rank must be a non-negative integer");
    double score = std::strtod(score_s.c_str(), &end);
    if (*end) bad_line(path, n, "score must be a number");
    ranked[std::string(f[0])].push_back({rank, RankedItem{std::string(f[2]), score}});
  });
  for (auto& [qid, items] : ranked) {
    std::stable_sort(items.begin(), items.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    auto& v = out[qid];
    for (auto& [r, item] : items) v.push_back(std::move(item));
  }
  return out;
}

RankFn run_file_rank_fn(Run run) {
  return [run = std::move(run)](const EvalQuery& q, uint32_t depth) {
    auto it = run.find(q.qid);
    if (it == run.end()) return std::vector<RankedItem>{};
    std::vector<RankedItem> v(it->second.begin(), it->second.begin() + std::min<size_t>(depth, it->second.size()));
    return v;
  };
}

}  // namespace longtail::perf
