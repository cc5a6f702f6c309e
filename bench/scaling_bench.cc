// Scaling against the real libseccomp: generated x86_64 profiles of growing
// size, each built by sysfence (parse -> resolve -> compile -> prove) and by
// libseccomp 2.5 (seccomp_rule_add_array + SCMP_FLTATR_CTL_OPTIMIZE = 2 +
// seccomp_export_bpf), and the two programs measured the same way.
//
// Families (deterministic; one generator, two consumers):
//   allow/N    an allowlist of the first N syscalls of x86_64's table
//   spread/N   50 allowed syscalls + N argument conditions over 60 others
//   one/N      50 allowed syscalls + N argument conditions all on ioctl
//   flags/N    50 allowed syscalls + N rules on ioctl, each 1-3 conditions
//              (arg & m) == v on 1-3 random flag bits of the first four
//              arguments (the proof's hardest shape: its walk runs out of
//              budget past ~100 rules and a satisfiability search finishes)
// Conditions come in rules of 1-3 on distinct arguments, mostly EQ with
// some MASKED_EQ and GT, actions ALLOW or ERRNO(13); every comparison is on
// all 64 bits (sysfence's --arg-width 64, libseccomp's only reading), so
// both filters implement the same policy.
//
// Per profile: program length, executed instructions (mean and max over
// nr 0..max+64 with zero arguments, and over the argument paths: inputs that
// match each rule and that miss it by one condition), generation time (the
// best of a few runs, CPU time of this thread) and peak memory (the maximum
// resident set of a fresh process building that one filter, less that of
// one that only generates the profile; medians of 5 processes each). The output is a Markdown table
// (bench/report puts it into bench/RESULTS.md); `--json` prints JSON lines.
//
//   bazel run //bench:scaling_bench [-- --json] [-- --quick] [-- --family one]
//   bazel run //bench:scaling_bench -- --dump one 150   # the profile itself
#include <fmt/format.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "bpf/interp.h"
#include "bpf/raw.h"
#include "pipeline/pipeline.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::bench {
namespace {

struct Cond {
  uint8_t arg = 0;
  scmp_compare op = SCMP_CMP_EQ;
  uint64_t value = 0;
  uint64_t two = 0;  // MASKED_EQ: the datum
};
struct GenRule {
  std::string name;
  bool allow = true;  // else ERRNO(13)
  std::vector<Cond> conds;
};
struct GenProfile {
  std::string family;
  unsigned size = 0;
  std::vector<std::string> allowed;
  std::vector<GenRule> rules;
};

// xorshift64*: the same profiles on every machine.
struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545f4914f6cdd1dULL;
  }
  uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }
};

std::vector<std::string> table_names(size_t first, size_t count, std::string_view skip) {
  std::vector<std::string> out;
  for (const syscalls::Syscall& s : syscalls::table(syscalls::ArchId::kX86_64).entries()) {
    if (s.name == skip) continue;
    if (first > 0) {
      --first;
      continue;
    }
    if (out.size() == count) break;
    out.emplace_back(s.name);
  }
  return out;
}

Cond random_cond(Rng& rng, uint8_t arg) {
  Cond c;
  c.arg = arg;
  const uint32_t kind = rng.below(10);
  c.value = 1 + rng.below(1u << 20);
  if (kind == 8) {
    const uint64_t masks[] = {0xff00, 0xf0f000, 0x30000};
    c.op = SCMP_CMP_MASKED_EQ;
    c.two = c.value & masks[rng.below(3)];
    c.value = masks[rng.below(3)];
    c.two &= c.value;
  } else if (kind == 9) {
    c.op = SCMP_CMP_GT;
  }
  return c;
}

void add_rules(Rng& rng, const std::string& name, unsigned conditions, std::vector<GenRule>& out) {
  while (conditions > 0) {
    const unsigned sizes[] = {1, 1, 2, 3};
    const unsigned k = std::min(conditions, sizes[rng.below(4)]);
    // k distinct arguments of 0..3, in increasing order.
    std::vector<uint8_t> args{0, 1, 2, 3};
    for (unsigned i = 3; i > 0; --i) std::swap(args[i], args[rng.below(i + 1)]);
    args.resize(k);
    std::sort(args.begin(), args.end());
    GenRule r{name, rng.below(4) != 0, {}};
    for (uint8_t a : args) r.conds.push_back(random_cond(rng, a));
    out.push_back(std::move(r));
    conditions -= k;
  }
}

// `count` rules on ioctl of flag-mask conditions (see flags/N above).
void add_flag_rules(Rng& rng, unsigned count, std::vector<GenRule>& out) {
  for (unsigned r = 0; r < count; ++r) {
    std::vector<uint8_t> args{0, 1, 2, 3};
    for (unsigned i = 3; i > 0; --i) std::swap(args[i], args[rng.below(i + 1)]);
    args.resize(1 + rng.below(3));
    std::sort(args.begin(), args.end());
    GenRule rule{"ioctl", rng.below(2) != 0, {}};
    for (uint8_t a : args) {
      Cond c;
      c.arg = a;
      c.op = SCMP_CMP_MASKED_EQ;
      c.value = 0;
      for (unsigned bits = 1 + rng.below(3); bits > 0; --bits) c.value |= uint64_t{1} << rng.below(64);
      c.two = rng.next() & c.value;
      rule.conds.push_back(c);
    }
    out.push_back(std::move(rule));
  }
}

GenProfile generate(std::string_view family, unsigned n) {
  GenProfile p{std::string(family), n, {}, {}};
  Rng rng{0x9e3779b97f4a7c15ULL ^ (uint64_t{n} << 8) ^ family.size()};
  if (family == "allow") {
    p.allowed = table_names(0, n, "");
    return p;
  }
  p.allowed = table_names(0, 50, "ioctl");
  if (family == "flags") {
    add_flag_rules(rng, n, p.rules);
  } else if (family == "one") {
    add_rules(rng, "ioctl", n, p.rules);
  } else {
    const std::vector<std::string> names = table_names(50, 60, "ioctl");
    for (size_t i = 0; i < names.size(); ++i) {
      add_rules(rng, names[i], n / 60 + (i < n % 60 ? 1 : 0), p.rules);
    }
  }
  return p;
}

std::string_view op_name(scmp_compare op) {
  switch (op) {
    case SCMP_CMP_MASKED_EQ: return "SCMP_CMP_MASKED_EQ";
    case SCMP_CMP_GT: return "SCMP_CMP_GT";
    default: return "SCMP_CMP_EQ";
  }
}

std::string to_json(const GenProfile& p) {
  std::string s = R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, )"
                  R"("architectures": ["SCMP_ARCH_X86_64"], "syscalls": [)";
  s += R"({"names": [)";
  for (size_t i = 0; i < p.allowed.size(); ++i) s += fmt::format("{}\"{}\"", i ? ", " : "", p.allowed[i]);
  s += R"(], "action": "SCMP_ACT_ALLOW"})";
  for (const GenRule& r : p.rules) {
    s += fmt::format(R"(, {{"names": ["{}"], "action": "{}", "errnoRet": 13, "args": [)", r.name,
                     r.allow ? "SCMP_ACT_ALLOW" : "SCMP_ACT_ERRNO");
    for (size_t i = 0; i < r.conds.size(); ++i) {
      const Cond& c = r.conds[i];
      s += fmt::format(R"({}{{"index": {}, "op": "{}", "value": {}, "valueTwo": {}}})", i ? ", " : "", c.arg,
                       op_name(c.op), c.value, c.two);
    }
    s += "]}";
  }
  return s + "]}";
}

pipeline::Request sysfence_request(const std::string& json, bool prove) {
  pipeline::Request r;
  r.profile = "generated";
  r.text = json;
  r.resolve.native = syscalls::ArchId::kX86_64;
  r.resolve.arg_width = profile::ArgWidthMode::k64;
  r.keep_abis = {syscalls::ArchId::kX86_64};
  r.last = prove ? pipeline::Stage::kProve : pipeline::Stage::kCompile;
  return r;
}

// Builds the filter with libseccomp; an empty program if it refused.
bpf::Program libseccomp_build(const GenProfile& p) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(1));
  if (ctx == nullptr) return {};
  seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (const std::string& name : p.allowed)
    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, seccomp_syscall_resolve_name(name.c_str()), 0);
  for (const GenRule& r : p.rules) {
    std::vector<scmp_arg_cmp> cmp;
    for (const Cond& c : r.conds) cmp.push_back(scmp_arg_cmp{c.arg, c.op, c.value, c.two});
    // EEXIST (a repeated rule) is not an error for this comparison.
    seccomp_rule_add_array(ctx, r.allow ? SCMP_ACT_ALLOW : SCMP_ACT_ERRNO(13),
                           seccomp_syscall_resolve_name(r.name.c_str()), static_cast<unsigned>(cmp.size()), cmp.data());
  }
  bpf::Program out;
  const int fd = memfd_create("libseccomp", 0);
  if (fd >= 0 && seccomp_export_bpf(ctx, fd) == 0) {
    std::vector<uint8_t> bytes(static_cast<size_t>(lseek(fd, 0, SEEK_END)));
    if (pread(fd, bytes.data(), bytes.size(), 0) == static_cast<ssize_t>(bytes.size())) {
      if (auto prog = bpf::read_raw(bytes, bpf::host_endian(), "libseccomp")) out = std::move(*prog);
    }
  }
  if (fd >= 0) close(fd);
  seccomp_release(ctx);
  return out;
}

double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The best of a few runs (at least one, at most 5, about 0.3 s).
template <typename F>
double best_seconds(F&& f) {
  double best = 1e30;
  double spent = 0;
  for (int i = 0; i < 5 && spent < 0.3; ++i) {
    const double t0 = thread_seconds();
    f();
    const double t = thread_seconds() - t0;
    best = std::min(best, t);
    spent += t;
  }
  return best;
}

// Peak resident set (KiB) of a fresh process (this binary, `--peak TOOL
// FAMILY N`) that generates the profile and builds it with TOOL (`none`:
// only generates it, the baseline the others are reported against).
long one_peak_kib(const char* tool, const GenProfile& p) {
  const std::string n = std::to_string(p.size);
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/proc/self/exe", "scaling_bench", "--peak", tool, p.family.c_str(), n.c_str(), nullptr);
    _exit(127);
  }
  int status = 0;
  rusage ru{};
  if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return -1;
  return ru.ru_maxrss;
}

// The median of kPeakRuns such processes: one process's peak varies by a
// few hundred KiB from run to run (where the allocator and the loader place
// things), as much as the differences the table is read for.
long peak_kib(const char* tool, const GenProfile& p) {
  constexpr int kPeakRuns = 5;
  std::vector<long> peaks;
  for (int i = 0; i < kPeakRuns; ++i) {
    const long kib = one_peak_kib(tool, p);
    if (kib < 0) return -1;
    peaks.push_back(kib);
  }
  std::nth_element(peaks.begin(), peaks.begin() + kPeakRuns / 2, peaks.end());
  return peaks[kPeakRuns / 2];
}

struct Executed {
  double mean = 0;
  unsigned max = 0;
  double arg_mean = 0;
  unsigned arg_max = 0;
};

// Inputs that match each rule, and that miss it by one condition.
std::vector<SeccompData> argument_inputs(const GenProfile& p, uint32_t audit_arch) {
  std::vector<SeccompData> out;
  const syscalls::Table& t = syscalls::table(syscalls::ArchId::kX86_64);
  auto hit = [](const Cond& c) {
    return c.op == SCMP_CMP_MASKED_EQ ? c.two : c.op == SCMP_CMP_GT ? c.value + 1 : c.value;
  };
  auto miss = [](const Cond& c) {
    return c.op == SCMP_CMP_MASKED_EQ ? c.two ^ (c.value & (~c.value + 1))
           : c.op == SCMP_CMP_GT      ? c.value
                                      : c.value + 1;
  };
  for (const GenRule& r : p.rules) {
    SeccompData d;
    d.arch = audit_arch;
    d.nr = t.number(r.name).value_or(0);
    for (const Cond& c : r.conds) d.args[c.arg] = hit(c);
    out.push_back(d);
    for (const Cond& c : r.conds) {
      SeccompData m = d;
      m.args[c.arg] = miss(c);
      out.push_back(m);
    }
  }
  return out;
}

Executed executed(const bpf::Program& prog, const GenProfile& p) {
  Executed e;
  auto in = bpf::Interpreter::create(prog);
  if (!in) return e;
  const uint32_t audit_arch = syscalls::arch(syscalls::ArchId::kX86_64).audit_arch;
  const uint32_t top = syscalls::table(syscalls::ArchId::kX86_64).max_nr() + 64;
  double sum = 0;
  for (uint32_t nr = 0; nr <= top; ++nr) {
    SeccompData d;
    d.arch = audit_arch;
    d.nr = nr;
    const unsigned n = in->run(d, bpf::host_endian()).insns;
    sum += n;
    e.max = std::max(e.max, n);
  }
  e.mean = sum / (top + 1);
  const std::vector<SeccompData> inputs = argument_inputs(p, audit_arch);
  sum = 0;
  for (const SeccompData& d : inputs) {
    const unsigned n = in->run(d, bpf::host_endian()).insns;
    sum += n;
    e.arg_max = std::max(e.arg_max, n);
  }
  e.arg_mean = inputs.empty() ? 0 : sum / static_cast<double>(inputs.size());
  return e;
}

// Whether libseccomp builds the profile within `seconds` (in a child, killed
// past them): its database grows exponentially with rules on flag masks
// (flags/200 did not finish in 15 minutes).
bool libseccomp_finishes(const GenProfile& p, unsigned seconds) {
  const pid_t pid = fork();
  if (pid == 0) {
    (void)libseccomp_build(p);
    _exit(0);
  }
  if (pid < 0) return false;
  int status = 0;
  for (unsigned waited_ms = 0; waited_ms < seconds * 1000; waited_ms += 50) {
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    usleep(50'000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return false;
}

constexpr unsigned kLibseccompSeconds = 20;

struct Row {
  std::string name;
  unsigned lib_timeout_s = 0;  // libseccomp did not finish in this many seconds (0: it did)
  size_t sf_len = 0, lib_len = 0;
  bool proved = false;
  std::string sf_error;
  Executed sf_exec, lib_exec;
  double sf_compile_s = 0, sf_total_s = 0, lib_s = 0;
  long sf_kib = 0, lib_kib = 0;
};

Row measure(const GenProfile& p) {
  Row row;
  row.name = fmt::format("{}/{}", p.family, p.size);
  const std::string json = to_json(p);
  auto built = pipeline::run(sysfence_request(json, true));
  if (!built) {
    row.sf_error = built.error().message;
  } else {
    row.sf_len = built->compiled->program.size();
    row.proved = built->proof && built->proof->equivalent();
    row.sf_exec = executed(built->compiled->program, p);
    row.sf_compile_s = best_seconds([&] { (void)pipeline::run(sysfence_request(json, false)); });
    row.sf_total_s = best_seconds([&] { (void)pipeline::run(sysfence_request(json, true)); });
  }
  const long base = peak_kib("none", p);
  row.sf_kib = peak_kib("sysfence", p) - base;
  if (!libseccomp_finishes(p, kLibseccompSeconds)) {
    row.lib_timeout_s = kLibseccompSeconds;
    return row;
  }
  const bpf::Program lib = libseccomp_build(p);
  row.lib_len = lib.size();
  row.lib_exec = executed(lib, p);
  row.lib_s = best_seconds([&] { (void)libseccomp_build(p); });
  row.lib_kib = peak_kib("libseccomp", p) - base;
  return row;
}

std::string ratio(double a, double b) { return b > 0 ? fmt::format("{:.2f}x", a / b) : "-"; }

void print_markdown(const std::vector<Row>& rows) {
  fmt::print(
      "| profile | sysfence insns | libseccomp insns | ratio | mean exec (sf / lib) | max exec (sf / lib) | "
      "arg-path mean (sf / lib) | arg-path max (sf / lib) | compile us (sf / lib) | ratio | with proof us | ratio | "
      "peak KiB (sf / lib) | proved |\n");
  fmt::print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const Row& r : rows) {
    if (!r.sf_error.empty()) {
      fmt::print("| {} | refused: {} | {} | | | | | | | | | | | |\n", r.name, r.sf_error, r.lib_len);
      continue;
    }
    if (r.lib_timeout_s > 0) {
      fmt::print(
          "| {} | {} | did not finish in {} s | | {:.2f} / - | {} / - | {:.2f} / - | {} / - | {:.0f} / - | | {:.0f} "
          "| | {} / - | {} |\n",
          r.name, r.sf_len, r.lib_timeout_s, r.sf_exec.mean, r.sf_exec.max, r.sf_exec.arg_mean, r.sf_exec.arg_max,
          r.sf_compile_s * 1e6, r.sf_total_s * 1e6, r.sf_kib, r.proved ? "yes" : "**no**");
      continue;
    }
    fmt::print(
        "| {} | {} | {} | {} | {:.2f} / {:.2f} | {} / {} | {:.2f} / {:.2f} | {} / {} | {:.0f} / {:.0f} | {} | {:.0f} | "
        "{} | {} / {} | {} |\n",
        r.name, r.sf_len, r.lib_len, ratio(r.sf_len, r.lib_len), r.sf_exec.mean, r.lib_exec.mean, r.sf_exec.max,
        r.lib_exec.max, r.sf_exec.arg_mean, r.lib_exec.arg_mean, r.sf_exec.arg_max, r.lib_exec.arg_max,
        r.sf_compile_s * 1e6, r.lib_s * 1e6, ratio(r.sf_compile_s, r.lib_s), r.sf_total_s * 1e6,
        ratio(r.sf_total_s, r.lib_s), r.sf_kib, r.lib_kib, r.proved ? "yes" : "**no**");
  }
}

void print_json(const std::vector<Row>& rows) {
  for (const Row& r : rows) {
    fmt::print(
        R"({{"profile": "{}", "libseccomp_timeout_s": {}, "sysfence_insns": {}, "libseccomp_insns": {}, "proved": {}, "error": "{}", )"
        R"("sysfence_mean": {:.3f}, "libseccomp_mean": {:.3f}, "sysfence_max": {}, "libseccomp_max": {}, )"
        R"("sysfence_arg_mean": {:.3f}, "libseccomp_arg_mean": {:.3f}, "sysfence_arg_max": {}, "libseccomp_arg_max": {}, )"
        R"("sysfence_compile_us": {:.1f}, "sysfence_total_us": {:.1f}, "libseccomp_us": {:.1f}, )"
        R"("sysfence_peak_kib": {}, "libseccomp_peak_kib": {}}})"
        "\n",
        r.name, r.lib_timeout_s, r.sf_len, r.lib_len, r.proved, r.sf_error, r.sf_exec.mean, r.lib_exec.mean,
        r.sf_exec.max, r.lib_exec.max, r.sf_exec.arg_mean, r.lib_exec.arg_mean, r.sf_exec.arg_max, r.lib_exec.arg_max,
        r.sf_compile_s * 1e6, r.sf_total_s * 1e6, r.lib_s * 1e6, r.sf_kib, r.lib_kib);
  }
}

}  // namespace
}  // namespace sysfence::bench

int main(int argc, char** argv) {
  using sysfence::bench::generate;
  bool json = false;
  bool quick = false;
  std::string only_family;  // every family when empty
  if (argc == 4 && std::string_view(argv[1]) == "--dump") {
    std::printf("%s\n",
                sysfence::bench::to_json(generate(argv[2], static_cast<unsigned>(std::stoul(argv[3])))).c_str());
    return 0;
  }
  // A profiling loop: `perf record scaling_bench --repeat sysfence one 70 500`.
  if (argc == 6 && std::string_view(argv[1]) == "--repeat") {
    const std::string_view tool = argv[2];
    const auto p = generate(argv[3], static_cast<unsigned>(std::stoul(argv[4])));
    const std::string json_text = sysfence::bench::to_json(p);
    for (unsigned long k = std::stoul(argv[5]); k > 0; --k) {
      if (tool == "sysfence") (void)sysfence::pipeline::run(sysfence::bench::sysfence_request(json_text, true));
      if (tool == "sysfence-compile")
        (void)sysfence::pipeline::run(sysfence::bench::sysfence_request(json_text, false));
      if (tool == "libseccomp") (void)sysfence::bench::libseccomp_build(p);
    }
    return 0;
  }
  if (argc == 5 && std::string_view(argv[1]) == "--peak") {
    const std::string_view tool = argv[2];
    const auto p = generate(argv[3], static_cast<unsigned>(std::stoul(argv[4])));
    if (tool == "sysfence") {
      const std::string json_text = sysfence::bench::to_json(p);
      (void)sysfence::pipeline::run(sysfence::bench::sysfence_request(json_text, true));
    } else if (tool == "libseccomp") {
      (void)sysfence::bench::libseccomp_build(p);
    }
    return 0;
  }
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--json") {
      json = true;
    } else if (a == "--quick") {
      quick = true;
    } else if (a == "--family" && i + 1 < argc) {
      only_family = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: scaling_bench [--json] [--quick] [--family allow|spread|one|flags] | --dump FAMILY N\n"
                   "       | --repeat sysfence|sysfence-compile|libseccomp FAMILY N TIMES\n");
      return 2;
    }
  }
  struct Size {
    const char* family;
    std::vector<unsigned> sizes;
  };
  const unsigned all =
      static_cast<unsigned>(sysfence::syscalls::table(sysfence::syscalls::ArchId::kX86_64).entries().size());
  const std::vector<Size> plan = quick
                                     ? std::vector<Size>{{"allow", {10, all}}, {"spread", {10, 300}}, {"one", {3, 50}}}
                                     : std::vector<Size>{{"allow", {10, 50, 100, 200, all}},
                                                         {"spread", {10, 100, 300, 600, 700}},
                                                         {"one", {3, 10, 30, 50, 70, 100, 150, 200, 300}},
                                                         {"flags", {30, 100, 200, 400, 600, 650}}};
  std::vector<sysfence::bench::Row> rows;
  for (const Size& s : plan) {
    if (!only_family.empty() && only_family != s.family) continue;
    for (unsigned n : s.sizes) {
      std::fprintf(stderr, "scaling_bench: %s/%u\n", s.family, n);
      rows.push_back(sysfence::bench::measure(generate(s.family, n)));
    }
  }
  if (json) {
    sysfence::bench::print_json(rows);
  } else {
    sysfence::bench::print_markdown(rows);
  }
  return 0;
}
