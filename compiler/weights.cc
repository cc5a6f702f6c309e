#include "compiler/weights.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "syscalls/table.h"

namespace sysfence::compiler {

namespace {

// Relative call counts of the syscalls that dominate common workloads (web
// and database servers, shells, Go/Java/Python runtimes), in the spirit of
// `strace -c` summaries: event loops (epoll/poll/futex), I/O (read/write and
// the socket calls), file metadata, memory management, signals and time.
// Both 64-bit and 32-bit spellings are listed; each ABI uses the names its
// table has. Not a measurement of any one program: a profile of "typical"
// that puts the calls that matter near the root of the tree.
struct HotEntry {
  std::string_view name;
  double count;
};
constexpr HotEntry kHot[] = {
    {"read", 1000},
    {"write", 800},
    {"futex", 900},
    {"futex_time64", 900},
    {"epoll_wait", 600},
    {"epoll_pwait", 300},
    {"epoll_ctl", 300},
    {"recvfrom", 500},
    {"sendto", 400},
    {"recvmsg", 300},
    {"sendmsg", 250},
    {"socketcall", 600},
    {"close", 400},
    {"openat", 350},
    {"fstat", 300},
    {"newfstatat", 300},
    {"fstat64", 300},
    {"fstatat64", 300},
    {"statx", 150},
    {"mmap", 250},
    {"mmap2", 250},
    {"munmap", 150},
    {"mprotect", 120},
    {"brk", 100},
    {"lseek", 150},
    {"_llseek", 150},
    {"pread64", 150},
    {"pwrite64", 80},
    {"poll", 200},
    {"ppoll", 150},
    {"ppoll_time64", 150},
    {"clock_gettime", 200},
    {"clock_gettime64", 200},
    {"nanosleep", 80},
    {"clock_nanosleep", 100},
    {"clock_nanosleep_time64", 100},
    {"getpid", 80},
    {"gettid", 60},
    {"rt_sigaction", 60},
    {"rt_sigprocmask", 200},
    {"rt_sigreturn", 40},
    {"ioctl", 200},
    {"fcntl", 150},
    {"fcntl64", 150},
    {"getdents64", 60},
    {"accept4", 50},
    {"connect", 40},
    {"socket", 40},
    {"setsockopt", 40},
    {"getsockopt", 30},
    {"writev", 200},
    {"readv", 60},
    {"madvise", 60},
    {"sched_yield", 100},
    {"getrandom", 20},
    {"io_uring_enter", 100},
    {"pipe2", 10},
    {"dup3", 10},
    {"wait4", 10},
    {"clone", 10},
    {"clone3", 10},
    {"access", 20},
    {"faccessat2", 10},
    {"readlink", 20},
    {"readlinkat", 10},
    {"getuid", 20},
    {"geteuid", 20},
    {"getuid32", 20},
    {"geteuid32", 20},
    {"uname", 10},
    {"getrusage", 10},
    {"exit_group", 5},
    {"execve", 5},
    {"prctl", 10},
    {"rseq", 5},
};

// Each number an ABI's table spans weighs this much under a named model, in
// units of one call: enough to order the rest of the tree, never enough to
// compete with a syscall that is actually called.
constexpr double kNamedFloor = 0.01;

void sort_and_merge(std::vector<std::pair<std::string, double>>& v) {
  std::map<std::string, double, std::less<>> m;
  for (auto& [name, count] : v) m[name] += count;
  v.assign(m.begin(), m.end());
}

}  // namespace

Weights Weights::Uniform() {
  Weights w;
  w.floor_ = 1;
  w.description_ = "uniform";
  return w;
}

Weights Weights::Hot() {
  Weights w;
  for (const HotEntry& e : kHot) w.named_.emplace_back(std::string(e.name), e.count);
  sort_and_merge(w.named_);
  w.floor_ = kNamedFloor;
  w.description_ = "hot";
  return w;
}

namespace {

struct Line {
  std::string_view text;  // without its comment
  size_t number = 0;      // 1-based
  size_t start = 0;       // offset of the line in the file
  std::vector<std::string_view> fields;
};

std::vector<Line> split_lines(std::string_view text, bool strip_comments) {
  std::vector<Line> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    Line line{text.substr(pos, end - pos), lines.size() + 1, pos, {}};
    pos = end + 1;
    if (const size_t hash = line.text.find('#'); strip_comments && hash != std::string_view::npos) {
      line.text = line.text.substr(0, hash);
    }
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    size_t i = 0;
    while (i < line.text.size()) {
      while (i < line.text.size() && is_space(line.text[i])) ++i;
      const size_t s = i;
      while (i < line.text.size() && !is_space(line.text[i])) ++i;
      if (i > s) line.fields.push_back(line.text.substr(s, i - s));
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

// "w.txt:3:5" for a field of `line`.
std::string where(std::string_view source, std::string_view text, const Line& line, std::string_view field) {
  return fmt::format("{}:{}:{}", source, line.number, static_cast<size_t>(field.data() - text.data()) - line.start + 1);
}

// The names of a file that no ABI's table has, each warned about once.
// Suggestions cost a scan of every ABI's names, so only the first
// kMaxSuggestions get one; past kMaxListed names, a count.
class UnknownNames {
 public:
  UnknownNames(std::string_view source, std::string_view text) : source_(source), text_(text) {}

  void check(const Line& line, std::string_view name) {
    static constexpr size_t kMaxSuggestions = 64;
    static constexpr size_t kMaxListed = 256;
    if (syscalls::numbers_by_name(name) != nullptr || !seen_.insert(std::string(name)).second) return;
    if (warnings_.size() >= kMaxListed) {
      if (unlisted_++ == 0) unlisted_from_ = where(source_, text_, line, name);
      return;
    }
    std::string suggestion;
    if (warnings_.size() < kMaxSuggestions)
      if (auto near = syscalls::nearest_known_name(name)) suggestion = fmt::format("; did you mean {}?", *near);
    warnings_.push_back(fmt::format("{}: unknown syscall \"{}\" (no architecture has it{}); its count is ignored",
                                    where(source_, text_, line, name), name, suggestion));
  }

  std::vector<std::string> finish() && {
    if (unlisted_ != 0)
      warnings_.push_back(fmt::format("{}: {} more unknown syscall name{} from here on (only the first {} are listed)",
                                      unlisted_from_, unlisted_, unlisted_ == 1 ? "" : "s", warnings_.size()));
    return std::move(warnings_);
  }

 private:
  std::string_view source_;
  std::string_view text_;
  std::set<std::string, std::less<>> seen_;
  std::vector<std::string> warnings_;
  size_t unlisted_ = 0;
  std::string unlisted_from_;
};

Expected<std::pair<std::string, double>> name_and_count(std::string_view source, std::string_view text,
                                                        const Line& line, std::string_view name, std::string_view num) {
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '_')) {
      return fail(fmt::format("{}: \"{}\" is not a syscall name", where(source, text, line, name), name));
    }
  }
  double count = 0;
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), count);
  if (ec != std::errc() || ptr != num.data() + num.size() || !std::isfinite(count) || count < 0) {
    return fail(fmt::format("{}: \"{}\" is not a count (a non-negative number)", where(source, text, line, num), num));
  }
  return std::pair{std::string(name), count};
}

// strace -c's table header: "% time     seconds  usecs/call     calls    errors syscall".
bool is_strace_header(const Line& line) {
  return line.fields.size() >= 2 && line.fields[0] == "%" && line.fields[1] == "time";
}

// Lines of strace -c's output that are not rows: the dashed rules, the
// "System call usage summary for 32 bit mode:" headings of a multi-ABI run,
// strace's own messages when they went to the same file.
bool is_strace_decoration(const Line& line) {
  if (line.fields.empty() || is_strace_header(line)) return true;
  if (line.text.find_first_not_of("- \t\r") == std::string_view::npos) return true;
  return line.text.starts_with("System call usage summary") || line.text.starts_with("strace: ");
}

// The table as strace -c (also -f, -S calls, -w) prints it: the "calls"
// column and the last one, "syscall"; the "total" row is skipped. The
// errors column may be blank, so a row's calls field counts from the left
// (every column before it is always printed).
Expected<std::vector<std::pair<std::string, double>>> read_strace_table(std::string_view text, std::string_view source,
                                                                        const std::vector<Line>& lines,
                                                                        UnknownNames& unknown) {
  std::vector<std::pair<std::string, double>> out;
  size_t calls_column = 0;
  for (const Line& line : lines) {
    if (is_strace_header(line)) {
      const auto calls = std::find(line.fields.begin(), line.fields.end(), "calls");
      if (calls == line.fields.end() || line.fields.back() != "syscall") {
        return fail(fmt::format("{}: strace -c's table without its calls and syscall columns",
                                where(source, text, line, line.fields[0])));
      }
      // "% time" is one column written as two words.
      calls_column = static_cast<size_t>(calls - line.fields.begin()) - 1;
      continue;
    }
    if (is_strace_decoration(line)) continue;
    if (calls_column == 0) {
      return fail(fmt::format("{}: a row before strace -c's header", where(source, text, line, line.fields[0])));
    }
    if (line.fields.size() <= calls_column + 1) {
      return fail(fmt::format("{}: expected a row of strace -c's table ({} columns or more), found {} field{}",
                              where(source, text, line, line.fields[0]), calls_column + 2, line.fields.size(),
                              line.fields.size() == 1 ? "" : "s"));
    }
    if (line.fields.back() == "total") continue;
    auto row = name_and_count(source, text, line, line.fields.back(), line.fields[calls_column]);
    if (!row) return fail(row.error().message);
    unknown.check(line, line.fields.back());
    out.push_back(std::move(*row));
  }
  return out;
}

Expected<std::vector<std::pair<std::string, double>>> read_name_count_lines(std::string_view text,
                                                                            std::string_view source,
                                                                            const std::vector<Line>& lines,
                                                                            UnknownNames& unknown) {
  std::vector<std::pair<std::string, double>> out;
  for (const Line& line : lines) {
    if (line.fields.empty()) continue;
    if (line.fields.size() != 2) {
      return fail(fmt::format("{}: expected `name count`, found {} field{}", where(source, text, line, line.fields[0]),
                              line.fields.size(), line.fields.size() == 1 ? "" : "s"));
    }
    auto row = name_and_count(source, text, line, line.fields[0], line.fields[1]);
    if (!row) return fail(row.error().message);
    unknown.check(line, line.fields[0]);
    out.push_back(std::move(*row));
  }
  return out;
}

}  // namespace

Expected<Weights> Weights::Parse(std::string_view text, std::string_view source) {
  Weights w;
  w.floor_ = kNamedFloor;
  w.description_ = std::string(source);
  // strace's table has "%" in its header and no comments; the two-column
  // form allows `#` comments.
  const std::vector<Line> raw = split_lines(text, /*strip_comments=*/false);
  const bool strace = std::any_of(raw.begin(), raw.end(), is_strace_header);
  UnknownNames unknown(source, text);
  auto rows = strace ? read_strace_table(text, source, raw, unknown)
                     : read_name_count_lines(text, source, split_lines(text, /*strip_comments=*/true), unknown);
  if (!rows) return fail(rows.error().message);
  w.named_ = std::move(*rows);
  w.warnings_ = std::move(unknown).finish();
  if (w.named_.empty()) {
    return fail(fmt::format("{}: no {}", source, strace ? "rows in strace -c's table" : "`name count` lines"));
  }
  sort_and_merge(w.named_);
  return w;
}

Expected<Weights> Weights::FromFlag(std::string_view spec) {
  if (spec == "uniform") return Uniform();
  if (spec == "hot") return Hot();
  constexpr size_t kMaxBytes = 1 << 20;
  if (spec.empty()) return fail("--weights: empty file name (uniform, hot or a file)");
  std::ifstream in{std::string(spec), std::ios::binary};
  if (!in) return fail(fmt::format("{}: cannot open weights file ({})", spec, std::strerror(errno)));
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxBytes) return fail(fmt::format("{}: weights file is larger than 1 MiB", spec));
  }
  // A directory opens, then fails its first read (EISDIR).
  if (in.bad()) return fail(fmt::format("{}: cannot read weights file ({})", spec, std::strerror(errno)));
  return Parse(text, spec);
}

Weights::OfAbi::OfAbi(const Weights& w, syscalls::ArchId abi)
    : w_(w),
      abi_(abi),
      table_(syscalls::table(abi)),
      first_(syscalls::arch(abi).nr_bias),
      last_(table_.entries().empty() ? first_ : table_.max_nr()) {}

double Weights::OfAbi::add_named(double total, uint32_t lo, uint32_t hi) const {
  auto entries = table_.entries();
  auto it = std::lower_bound(entries.begin(), entries.end(), lo,
                             [](const syscalls::Syscall& s, uint32_t v) { return s.nr < v; });
  for (; it != entries.end() && it->nr <= hi; ++it) {
    auto n = std::lower_bound(w_.named_.begin(), w_.named_.end(), it->name,
                              [](const auto& p, std::string_view v) { return p.first < v; });
    if (n != w_.named_.end() && n->first == it->name) total += n->second;
  }
  return total;
}

double Weights::range(syscalls::ArchId abi, uint32_t lo, uint32_t hi) const { return of(abi).range(lo, hi); }

double Weights::measured(syscalls::ArchId abi, uint32_t nr) const {
  if (named_.empty()) {
    const syscalls::Table& t = syscalls::table(abi);
    const uint32_t first = syscalls::arch(abi).nr_bias;
    return nr >= first && !t.entries().empty() && nr <= t.max_nr() ? 1 : 0;
  }
  auto name = syscalls::table(abi).name(nr);
  if (!name) return 0;
  auto n = std::lower_bound(named_.begin(), named_.end(), *name,
                            [](const auto& p, std::string_view v) { return p.first < v; });
  return n != named_.end() && n->first == *name ? n->second : 0;
}

}  // namespace sysfence::compiler
