#include "test/conformance/libseccomp/table.h"

#include <algorithm>
#include <charconv>
#include <sstream>

namespace sysfence::conformance {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::optional<uint64_t> number(std::string_view s) {
  if (s == "N") return 0;
  if (s == "-1") return ~uint64_t{0};
  int base = 10;
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    base = 16;
  }
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

enum class Section { kNone, kProfile, kBuilds, kRows, kSysfence };

}  // namespace

std::optional<std::vector<uint64_t>> cell_values(std::string_view cell, bool every) {
  const size_t dash = cell.find('-', 1);
  if (dash == std::string_view::npos) {
    auto v = number(cell);
    if (!v) return std::nullopt;
    return std::vector<uint64_t>{*v};
  }
  auto lo = number(cell.substr(0, dash));
  auto hi = number(cell.substr(dash + 1));
  if (!lo || !hi || *lo > *hi) return std::nullopt;
  if (every && *hi - *lo < 0x10000) {
    std::vector<uint64_t> all;
    for (uint64_t v = *lo; v <= *hi; ++v) all.push_back(v);
    return all;
  }
  std::vector<uint64_t> out = {*lo, *lo + 1, *lo + (*hi - *lo) / 2, *hi - 1, *hi};
  out.erase(std::remove_if(out.begin(), out.end(), [&](uint64_t v) { return v < *lo || v > *hi; }), out.end());
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<uint32_t> expected_ret(std::string_view result) {
  // SECCOMP_RET_* from include/uapi/linux/seccomp.h.
  if (result == "ALLOW") return 0x7fff0000U;
  if (result == "KILL" || result == "KILL_THREAD") return 0x00000000U;
  if (result == "KILL_PROCESS") return 0x80000000U;
  if (result == "TRAP") return 0x00030000U;
  if (result == "LOG") return 0x7ffc0000U;
  for (const auto& [prefix, base] : {std::pair<std::string_view, uint32_t>{"ERRNO(", 0x00050000U},
                                     std::pair<std::string_view, uint32_t>{"TRACE(", 0x7ff00000U}}) {
    if (result.starts_with(prefix) && result.ends_with(")")) {
      auto data = number(result.substr(prefix.size(), result.size() - prefix.size() - 1));
      if (!data || *data > 0xffff) return std::nullopt;
      return base | static_cast<uint32_t>(*data);
    }
  }
  return std::nullopt;
}

ParseOutcome parse_table(std::string_view name, std::string_view text) {
  Table t;
  t.name = std::string(name);
  Section section = Section::kNone;
  std::string* profile = nullptr;
  int line_no = 0;
  auto error = [&](std::string_view what) {
    return ParseOutcome{std::nullopt,
                        std::string(name) + ".table:" + std::to_string(line_no) + ": " + std::string(what)};
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t nl = std::min(text.find('\n', pos), text.size());
    const std::string_view raw = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++line_no;
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    if (line.front() == '[') {
      const std::vector<std::string> head = words(line.substr(1, line.find(']') - 1));
      if (head.empty()) return error("empty section name");
      if (head[0] == "profile") {
        section = Section::kProfile;
        profile = &t.profiles[head.size() > 1 ? head[1] : ""];
      } else if (head[0] == "builds") {
        section = Section::kBuilds;
      } else if (head[0] == "rows") {
        section = Section::kRows;
      } else if (head[0] == "sysfence") {
        section = Section::kSysfence;
        t.sysfence_flags.emplace();
      } else {
        return error("unknown section " + head[0]);
      }
      continue;
    }
    switch (section) {
      case Section::kNone: return error("text before the first section");
      case Section::kProfile: *profile += std::string(raw) + "\n"; break;
      case Section::kBuilds: {
        Build b;
        b.line = line_no;
        std::vector<std::string> w = words(line);
        if (!w.empty() && w[0].ends_with(":")) {
          b.profile = w[0].substr(0, w[0].size() - 1);
          w.erase(w.begin());
        }
        b.flags = std::move(w);
        t.builds.push_back(std::move(b));
        break;
      }
      case Section::kSysfence:
        for (std::string& w : words(line)) t.sysfence_flags->push_back(std::move(w));
        break;
      case Section::kRows: {
        const std::vector<std::string> w = words(line);
        if (w.size() != 9) return error("a row has 9 cells: arch syscall a0..a5 result");
        Row r{.line = line_no, .arches = w[0], .syscall = w[1], .args = {}, .result = w[8]};
        for (size_t i = 0; i < 6; ++i) r.args[i] = w[2 + i];
        if (!expected_ret(r.libseccomp_result()) || !expected_ret(r.sysfence_result())) {
          return error("unknown result " + r.result);
        }
        t.rows.push_back(std::move(r));
        break;
      }
    }
  }
  if (t.builds.empty()) return error("no [builds]");
  if (t.rows.empty()) return error("no [rows]");
  for (const Build& b : t.builds) {
    if (!t.profiles.contains(b.profile)) {
      line_no = b.line;
      return error("no [profile " + b.profile + "]");
    }
  }
  return {std::move(t), ""};
}

}  // namespace sysfence::conformance
