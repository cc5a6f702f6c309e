// sysfence on filters that the REAL libseccomp built: the fixtures in
// test/verify/data/libseccomp/ were made by tools/gen_libseccomp_fixtures.py
// with libseccomp 2.5.4 (python3-seccomp), resolving the profiles the way
// moby + runc do; SOURCES.md there says how and lists every known difference.
//
// Every fixture goes through the built CLI (a data dependency): verify
// against the profile, diff against sysfence's own compile of it, stats,
// audit and disasm. verify and diff must find exactly the documented
// differences — each one a (ABI, syscall, libseccomp's action, sysfence's
// action) — no more and no fewer; everything else is proved equal.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "syscalls/arch.h"
#include "syscalls/table.h"
#include "test/cli_runner.h"

namespace sysfence {
namespace {

using cli_runner::Result;
using cli_runner::runfile;

Result run(const std::vector<std::string>& args) { return cli_runner::run_sysfence(args); }
std::string tmp(std::string_view name) { return cli_runner::tmp_path(name); }

bool has(const std::string& text, std::string_view needle) { return text.find(needle) != std::string::npos; }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> words_of(std::string_view line) {
  std::vector<std::string> words;
  std::istringstream in{std::string(line)};
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// ---------------------------------------------------------------------------
// The fixtures and what they must show.

enum class Variant { kLibseccomp, kTree, kRunc };

struct Fixture {
  // "docker-default" | "containers-common" | "rule-conflicts" | "range-order" | "multiplex-stale" |
  // "enosys-threshold" | "enosys-no-x32"
  std::string_view profile;
  std::string_view arch;  // sysfence's name of the native arch
  Variant variant;

  std::string_view variant_name() const {
    switch (variant) {
      case Variant::kLibseccomp: return "libseccomp";
      case Variant::kTree: return "libseccomp-tree";
      case Variant::kRunc: return "runc";
    }
    return "";
  }
  std::string file() const {
    return runfile(fmt::format("test/verify/data/libseccomp/{}.{}.{}.bpf", profile, arch, variant_name()));
  }
  // rule-conflicts, range-order, multiplex-stale and enosys-threshold are sysfence's own:
  // several rules for one syscall and MASKED_EQ datums with bits outside the
  // mask; > and >= rules on one argument whose order libseccomp's tree
  // decides; socket and SysV IPC rules (with and without conditions, and on
  // socketcall/ipc themselves) and rules whose filter compares a stale
  // accumulator; a small profile whose socket and IPC calls lie above runc's
  // ENOSYS threshold where libseccomp gives them pseudo numbers; x86_64
  // and x86 listed without x32, where runc's stub goes by bit 30 alone.
  bool own() const {
    return profile == "rule-conflicts" || profile == "range-order" || profile == "multiplex-stale" ||
           profile == "enosys-threshold" || profile == "enosys-no-x32";
  }
  std::string profile_file() const {
    return runfile(own() ? fmt::format("test/verify/data/libseccomp/profiles/{}.json", profile)
                         : fmt::format("profile/data/{}.json", profile));
  }
  std::string name() const {
    std::string n = fmt::format("{}_{}_{}", profile, arch, variant_name());
    for (char& c : n)
      if (c == '-' || c == '.') c = '_';
    return n;
  }
  bool runc() const { return variant == Variant::kRunc; }
};

void PrintTo(const Fixture& f, std::ostream* os) { *os << f.name(); }

constexpr std::string_view kArches[] = {"x86_64", "aarch64", "riscv64", "s390x", "ppc64le", "mips64el"};
// sysfence's own profiles are also built for the 32-bit natives.
constexpr std::string_view kOwnArches[] = {"x86_64",  "aarch64",  "riscv64", "s390x",
                                           "ppc64le", "mips64el", "ppc",     "mipsel"};

std::vector<Fixture> all_fixtures() {
  std::vector<Fixture> fixtures;
  for (std::string_view profile : {"docker-default", "containers-common", "rule-conflicts", "range-order",
                                   "multiplex-stale", "enosys-threshold", "enosys-no-x32"})
    for (std::string_view arch : profile == "enosys-no-x32" ? std::span<const std::string_view>(kArches).first(1)
                                 : Fixture{profile, "", Variant::kLibseccomp}.own()
                                     ? std::span<const std::string_view>(kOwnArches)
                                     : std::span<const std::string_view>(kArches))
      for (Variant v : {Variant::kLibseccomp, Variant::kTree, Variant::kRunc}) {
        // containers-common's default is already ERRNO(ENOSYS): runc adds no stub.
        if (profile == "containers-common" && v == Variant::kRunc) continue;
        fixtures.push_back(Fixture{profile, arch, v});
      }
  return fixtures;
}

// The ABIs in the filter of each native arch (moby's archMap), as verify and
// diff name them.
std::vector<std::string_view> abis_of(std::string_view native, std::string_view profile = "") {
  if (native == "x86_64") {
    if (profile == "enosys-no-x32") return {"x86_64", "i386"};
    return {"x86_64", "i386", "x32"};
  }
  if (native == "aarch64") return {"aarch64", "arm"};
  if (native == "s390x") return {"s390x", "s390"};
  if (native == "mips64el") return {"mips64el", "mipsel", "mipsel64n32"};
  return {native};
}

// One difference: on `abi`, syscall `syscall` is answered `filter` by the
// libseccomp filter and `sysfence` by the profile (sysfence's reading).
struct Difference {
  std::string abi;
  std::string syscall;
  std::string filter;
  std::string sysfence;
  friend auto operator<=>(const Difference&, const Difference&) = default;
};

void PrintTo(const Difference& d, std::ostream* os) {
  *os << d.abi << " " << d.syscall << ": libseccomp " << d.filter << ", sysfence " << d.sysfence;
}

uint32_t number_of(std::string_view abi, std::string_view name) {
  const syscalls::Arch* a = syscalls::find_arch(abi);
  EXPECT_NE(a, nullptr) << abi;
  if (a == nullptr) return 0;
  const auto nr = syscalls::table(a->id).number(name);
  EXPECT_TRUE(nr.has_value()) << abi << " " << name;
  return nr.value_or(0);
}

// The differences SOURCES.md documents (all genuine libseccomp behaviour):
//  1. Syscalls libseccomp 2.5.4-1+deb12u1 has no number for on that ABI
//     (runc skips the name, so the filter answers the default action, or the
//     ENOSYS stub above runc's largest known number), which docker-default
//     allows.
//  2. runc's ENOSYS stub uses the largest number libseccomp knows
//     (futex_requeue) where sysfence uses the largest number the profile
//     names: the three lsm_* syscalls between them (kept by no entry, so
//     sysfence answers the default action) are answered ENOSYS by runc.
// containers-common's setns (allowed, then denied with EPERM) is no
// difference any more: --rule-combination libseccomp keeps the first
// unconditional rule as libseccomp does. rule-conflicts and range-order have
// none at all.
std::set<Difference> documented_differences(const Fixture& f) {
  std::set<Difference> out;
  if (f.own()) return out;
  const std::string enosys = f.arch == "mips64el" ? "ERRNO(89)" : "ERRNO(38)";
  for (std::string_view abi : abis_of(f.arch)) {
    if (f.profile == "docker-default") {
      std::vector<std::string_view> unknown = {"statmount",  "listmount",   "mseal",        "setxattrat",
                                               "getxattrat", "listxattrat", "removexattrat"};
      if (abi == "x86_64" || abi == "x32") unknown.emplace_back("uretprobe");
      if (abi == "x32") unknown.emplace_back("map_shadow_stack");
      if (abi == "riscv64") unknown.emplace_back("riscv_hwprobe");
      // runc's stub threshold: libseccomp's largest number on that ABI. arm's
      // (0xf0005, the ARM-private calls) and x32's (0x40000223, its compat
      // calls) are above every number in play. Docker's archMap has no
      // ppc64le entry: moby lists no architecture there, and runc's stub
      // covers only the listed ones.
      const bool stub = f.runc() && abi != "arm" && abi != "x32" && f.arch != "ppc64le";
      const uint32_t largest = stub ? number_of(abi, "futex_requeue") : 0;
      for (std::string_view name : unknown) {
        const bool above = stub && number_of(abi, name) > largest;
        out.insert({std::string(abi), std::string(name), above ? enosys : "ERRNO(1)", "ALLOW"});
      }
      if (stub)
        for (std::string_view name : {"lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules"})
          out.insert({std::string(abi), std::string(name), enosys, "ERRNO(1)"});
    } else {
      // containers-common denies map_shadow_stack with EPERM; libseccomp has
      // no x32 number for it, so x32 gets the default ERRNO(ENOSYS).
      if (abi == "x32") out.insert({"x32", "map_shadow_stack", "ERRNO(38)", "ERRNO(1)"});
    }
  }
  return out;
}

std::vector<std::string> resolve_flags(const Fixture& f) {
  std::vector<std::string> flags = {
      "--arch",     std::string(f.arch), "--kernel",           "6.1",       "--arg-width", "64",
      "--bad-arch", "kill-thread",       "--rule-combination", "libseccomp"};
  // runc's stub is the default's choice (no flag): only the ABIs the profile
  // lists get it; `--unknown-syscalls enosys` would stub every ABI.
  if (!f.runc()) flags.insert(flags.end(), {"--unknown-syscalls", "default"});
  // multiplex-stale's and enosys-threshold's socket and IPC rules reach socketcall/ipc the way
  // libseccomp rewrites them.
  if (f.profile == "multiplex-stale" || f.profile == "enosys-threshold")
    flags.insert(flags.end(), {"--multiplex", "libseccomp"});
  return flags;
}

// verify's counterexamples, one per region where the two differ:
//   counterexample 6: riscv64 (arch 0xc00000f3), lsm_get_self_attr (nr 459), args ...
//     filter:  ERRNO(38)      ret at instruction 6
//     profile: ERRNO(1)       default action (riscv64)
//     region:  every input with arch == 0xc00000f3 (riscv64), nr 0x1cb..0x1cd
struct Counterexample {
  Difference example;     // the syscall of the concrete input
  uint32_t first_nr = 0;  // the region's syscall numbers
  uint32_t last_nr = 0;
  bool any_arguments = false;  // the region says nothing about arguments
};

std::vector<Counterexample> parse_verify(const std::string& out) {
  std::vector<Counterexample> found;
  Counterexample current;
  for (const std::string& line : lines_of(out)) {
    if (line.starts_with("counterexample ")) {
      const auto words = words_of(line);  // counterexample 3: ABI (arch X), NAME (nr N), ...
      EXPECT_GE(words.size(), 6u) << line;
      if (words.size() < 6) continue;
      current = Counterexample{Difference{words[2], words[5], "", ""}, 0, 0, false};
    } else if (line.starts_with("  filter: ")) {
      current.example.filter = words_of(line).at(1);
    } else if (line.starts_with("  profile: ")) {
      current.example.sysfence = words_of(line).at(1);
    } else if (line.starts_with("  region: ")) {
      const size_t at = line.find(", nr ");
      EXPECT_NE(at, std::string::npos) << line;
      if (at == std::string::npos) continue;
      const std::string rest = line.substr(at + 5);
      if (rest.starts_with("== ")) {
        current.first_nr = current.last_nr = static_cast<uint32_t>(std::stoul(rest.substr(3), nullptr, 16));
        current.any_arguments = rest.find(", args") == std::string::npos;
      } else {
        const size_t dots = rest.find("..");
        EXPECT_NE(dots, std::string::npos) << line;
        current.first_nr = static_cast<uint32_t>(std::stoul(rest, nullptr, 16));
        current.last_nr = static_cast<uint32_t>(std::stoul(rest.substr(dots + 2), nullptr, 16));
        current.any_arguments = rest.find(", args") == std::string::npos;
      }
      found.push_back(current);
    }
  }
  return found;
}

// diff's grouped regions:
//   arch x86_64 (0xc000003e):
//     uretprobe (335) [x86_64]
//     syscall numbers 0x1c9..0x1ca — 2 x86_64 syscalls: statmount (457), listmount (458)
//       when any arguments
//         A.bpf: ERRNO(1)       B.bpf: ALLOW
//         e.g. ...
std::set<Difference> parse_diff(const std::string& out) {
  std::set<Difference> found;
  std::string abi;
  std::vector<std::string> names;
  for (const std::string& line : lines_of(out)) {
    if (line.starts_with("  ") && !line.starts_with("   ")) {
      names.clear();
      const std::string_view header = std::string_view{line}.substr(2);
      if (const size_t list = header.find(" syscalls: "); list != std::string_view::npos) {
        // "... — 2 x86_64 syscalls: statmount (457), listmount (458)"
        const size_t abi_start = header.rfind(' ', list - 1) + 1;
        abi = std::string(header.substr(abi_start, list - abi_start));
        std::string_view rest = header.substr(list + 11);
        while (!rest.empty()) {
          const size_t paren = rest.find(" (");
          names.emplace_back(rest.substr(0, paren));
          const size_t next = rest.find(", ");
          rest = next == std::string_view::npos ? std::string_view{} : rest.substr(next + 2);
        }
      } else if (const size_t bracket = header.rfind(" ["); bracket != std::string_view::npos) {
        // "uretprobe (335) [x86_64]"
        abi = std::string(header.substr(bracket + 2, header.size() - bracket - 3));
        names.emplace_back(header.substr(0, header.find(" (")));
      } else {
        ADD_FAILURE() << "unexpected region header: " << line;
      }
    } else if (line.starts_with("      ") && !line.starts_with("      e.g. ")) {
      const auto words = words_of(line);  // A.bpf: ACTION B.bpf: ACTION
      EXPECT_EQ(words.size(), 4u) << line;
      if (words.size() != 4) continue;
      for (const auto& n : names) found.insert({abi, n, words[1], words[3]});
    }
  }
  return found;
}

size_t instruction_count(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  EXPECT_EQ(st.st_size % 8, 0) << path;
  return static_cast<size_t>(st.st_size) / 8;
}

class Interop : public ::testing::TestWithParam<Fixture> {};

// verify proves everything but the documented differences: each
// counterexample is one of them, for every syscall its region covers, and
// every documented difference lies in some counterexample's region (exit 1).
TEST_P(Interop, VerifyFindsExactlyTheDocumentedDifferences) {
  const Fixture& f = GetParam();
  std::vector<std::string> args = {"verify", "--profile", f.profile_file(), "--bpf", f.file(), "--max-counterexamples",
                                   "1000"};
  for (auto& a : resolve_flags(f)) args.push_back(a);
  const Result r = run(args);
  if (documented_differences(f).empty()) {
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(r.out.starts_with("equivalent (proved: ")) << r.out;
    return;
  }
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(r.out.starts_with("NOT equivalent: ")) << r.out;
  const auto expected = documented_differences(f);
  const auto found = parse_verify(r.out);
  EXPECT_FALSE(found.empty()) << r.out;
  std::set<Difference> covered;
  for (const Counterexample& c : found) {
    EXPECT_TRUE(c.any_arguments) << "a difference that depends on arguments: " << c.example.abi << " "
                                 << c.example.syscall << "\n"
                                 << r.out;
    EXPECT_TRUE(expected.contains(c.example)) << ::testing::PrintToString(c.example) << "\n" << r.out;
    for (const Difference& d : expected) {
      if (d.abi != c.example.abi) continue;
      const uint32_t nr = number_of(d.abi, d.syscall);
      if (nr < c.first_nr || nr > c.last_nr) continue;
      // Every syscall of the region differs in the same way.
      EXPECT_EQ(d.filter, c.example.filter) << ::testing::PrintToString(d);
      EXPECT_EQ(d.sysfence, c.example.sysfence) << ::testing::PrintToString(d);
      covered.insert(d);
    }
  }
  EXPECT_EQ(covered, expected) << r.out;
}

// The same through the preset: --semantics libseccomp (no stub) or runc.
TEST_P(Interop, SemanticsPresetMatchesTheExplicitFlags) {
  const Fixture& f = GetParam();
  std::vector<std::string> explicit_args = {
      "verify", "--profile", f.profile_file(), "--bpf", f.file(), "--max-counterexamples", "1000"};
  for (auto& a : resolve_flags(f)) explicit_args.push_back(a);
  // The presets also choose libseccomp's socketcall/ipc rewrite. With
  // sysfence's "most restrictive rule wins" it adds one difference on the
  // multiplexing ABIs for containers-common: its socket rule denying
  // AF_VSOCK becomes socketcall(SYS_SOCKET) ERRNO(1), which libseccomp drops
  // because socketcall already had an unconditional ALLOW (the first action
  // wins, as with setns).
  if (std::find(explicit_args.begin(), explicit_args.end(), "--multiplex") == explicit_args.end())
    explicit_args.insert(explicit_args.end(), {"--multiplex", "libseccomp"});
  const Result with_flags = run(explicit_args);
  const Result with_preset =
      run({"verify", "--profile", f.profile_file(), "--bpf", f.file(), "--arch", std::string(f.arch), "--kernel", "6.1",
           "--semantics", f.runc() ? "runc" : "libseccomp", "--max-counterexamples", "1000"});
  EXPECT_EQ(with_preset.exit_code, with_flags.exit_code) << with_preset.out << with_preset.err;
  EXPECT_EQ(with_preset.out, with_flags.out);
}

// diff against sysfence's own compile of the profile (same flags): the
// grouped regions are exactly the documented differences, and diff says it
// found all of them.
TEST_P(Interop, DiffAgainstSysfenceCompileShowsTheSameRegions) {
  const Fixture& f = GetParam();
  const std::string own = tmp(fmt::format("{}.sysfence.bpf", f.name()));
  std::vector<std::string> compile = {"compile", f.profile_file(), "-o", own};
  for (auto& a : resolve_flags(f)) compile.push_back(a);
  const Result c = run(compile);
  ASSERT_EQ(c.exit_code, 0) << c.out << c.err;
  const Result r = run({"diff", f.file(), own, "--arch", std::string(f.arch)});
  if (documented_differences(f).empty()) {
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_TRUE(r.out.starts_with("equivalent (proved: ")) << r.out;
    return;
  }
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_TRUE(has(r.out, " differ: ")) << r.out;
  EXPECT_TRUE(has(r.out, "(all of them: exhaustive over ")) << r.out;
  EXPECT_EQ(parse_diff(r.out), documented_differences(f)) << r.out;
}

TEST_P(Interop, StatsCountsEveryInstruction) {
  const Fixture& f = GetParam();
  const Result r = run({"stats", "--bpf", f.file(), "--arch", std::string(f.arch)});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_TRUE(r.out.starts_with(fmt::format("program: {} instructions\n", instruction_count(f.file())))) << r.out;
  for (std::string_view abi : abis_of(f.arch, f.profile))
    EXPECT_TRUE(has(r.out, fmt::format("\n{} (arch 0x", abi))) << r.out;
}

TEST_P(Interop, DisasmListsEveryInstruction) {
  const Fixture& f = GetParam();
  const Result r = run({"disasm", f.file(), "--arch", std::string(f.arch)});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const size_t n = instruction_count(f.file());
  EXPECT_TRUE(has(r.out, fmt::format("\n{:04}: ", n - 1))) << r.out.substr(r.out.size() > 400 ? r.out.size() - 400 : 0);
  EXPECT_FALSE(has(r.out, fmt::format("\n{:04}: ", n)));
  // Each filter starts by loading seccomp_data.arch.
  EXPECT_TRUE(has(r.out, "0000: 0x20 0x00 0x00 0x00000004  A = arch")) << r.out.substr(0, 400);
}

// audit reads the filter (exit 0 or 1, never 2). libseccomp compares all 64
// bits of socket's int family on x86_64, which audit must call out.
TEST_P(Interop, AuditReadsTheFilter) {
  const Fixture& f = GetParam();
  const Result r = run({"audit", "--bpf", f.file(), "--arch", std::string(f.arch)});
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.exit_code << r.out << r.err;
  EXPECT_TRUE(has(r.out, fmt::format("audited program: {} instructions", instruction_count(f.file())))) << r.out;
  if (f.profile == "docker-default" && f.arch == "x86_64") {
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_TRUE(has(r.out, "HIGH      arg-width           socket on x86_64: argument 0 (int family)")) << r.out;
  }
}

// sysfence's own combination (the most restrictive matching rule) differs
// from libseccomp's database exactly where rule-conflicts.json says: on
// every ABI, setns (ALLOW first, then ERRNO(13)), umask (a conditional
// ERRNO(22) after ALLOW), dup (a conditional ERRNO(13) replaced by ALLOW)
// and fcntl (KILL_PROCESS extending an earlier ALLOW's conditions).
TEST_P(Interop, OwnProfileDiffersUnderTheMostRestrictiveCombination) {
  const Fixture& f = GetParam();
  if (f.profile != "rule-conflicts") GTEST_SKIP() << "only rule-conflicts";
  std::vector<std::string> args = {"verify", "--profile", f.profile_file(), "--bpf", f.file(), "--max-counterexamples",
                                   "1000"};
  for (auto& a : resolve_flags(f)) args.push_back(a == "libseccomp" ? "most-restrictive" : a);
  const Result r = run(args);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  std::set<Difference> expected;
  for (std::string_view abi : abis_of(f.arch)) {
    const std::string a(abi);
    expected.insert({a, "setns", "ALLOW", "ERRNO(13)"});
    expected.insert({a, "umask", "ALLOW", "ERRNO(22)"});
    expected.insert({a, "dup", "ALLOW", "ERRNO(13)"});
    expected.insert({a, "fcntl", "ALLOW", "KILL_PROCESS"});
  }
  std::set<Difference> found;
  for (const Counterexample& c : parse_verify(r.out)) found.insert(c.example);
  EXPECT_EQ(found, expected) << r.out;
}

// range-order.json is what libseccomp's tree decides: under sysfence's own
// combination read (a2 > 128 ERRNO(5), a2 > 256 ERRNO(6)) and write (the
// shared high-word node's action) differ on every ABI, lseek (a bound above
// 32 bits, read as its low word on the 32-bit ABIs) at most there too, and
// pread64 (>= 256 before > 256, the more restrictive first) nowhere.
TEST_P(Interop, RangeOrderDiffersUnderTheMostRestrictiveCombination) {
  const Fixture& f = GetParam();
  if (f.profile != "range-order") GTEST_SKIP() << "only range-order";
  std::vector<std::string> args = {"verify", "--profile", f.profile_file(), "--bpf", f.file(), "--max-counterexamples",
                                   "1000"};
  for (auto& a : resolve_flags(f)) args.push_back(a == "libseccomp" ? "most-restrictive" : a);
  const Result r = run(args);
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  std::set<std::pair<std::string, std::string>> found;
  for (const Counterexample& c : parse_verify(r.out)) {
    EXPECT_TRUE(c.example.syscall == "read" || c.example.syscall == "write" || c.example.syscall == "lseek")
        << c.example.abi << " " << c.example.syscall;
    found.insert({c.example.abi, c.example.syscall});
  }
  for (std::string_view abi : abis_of(f.arch)) {
    EXPECT_TRUE(found.contains({std::string(abi), "read"})) << abi << r.out;
    EXPECT_TRUE(found.contains({std::string(abi), "write"})) << abi << r.out;
  }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Interop, ::testing::ValuesIn(all_fixtures()),
                         [](const ::testing::TestParamInfo<Fixture>& info) { return info.param.name(); });

// The s390x and ppc fixtures are big-endian files (libseccomp writes the
// target's byte order); the tests above read them with --arch s390x / ppc.
TEST(InteropFiles, BigEndianFixturesAreBigEndian) {
  for (const auto& [profile, arch] : {std::pair<std::string_view, std::string_view>{"docker-default", "s390x"},
                                      {"containers-common", "s390x"},
                                      {"multiplex-stale", "ppc"}}) {
    const Fixture f{profile, arch, Variant::kLibseccomp};
    const int fd = ::open(f.file().c_str(), O_RDONLY);
    ASSERT_GE(fd, 0) << f.file();
    unsigned char first[8] = {};
    ASSERT_EQ(::read(fd, first, sizeof first), 8);
    ::close(fd);
    // ld [4] (seccomp_data.arch): code 0x0020, k 4, both big-endian.
    const unsigned char want[8] = {0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04};
    EXPECT_EQ(std::vector<unsigned char>(first, first + 8), std::vector<unsigned char>(want, want + 8));
  }
}

// Every fixture the generator lists in MANIFEST.md is tested above, with the
// instruction count the manifest gives.
TEST(InteropFiles, ManifestMatchesTheFixtures) {
  const std::string path = runfile("test/verify/data/libseccomp/MANIFEST.md");
  ASSERT_TRUE(cli_runner::exists(path)) << path;
  const std::string manifest = cli_runner::read_file(path);
  size_t rows = 0;
  for (const std::string& line : lines_of(manifest))
    if (line.starts_with("| `")) ++rows;
  EXPECT_EQ(rows, all_fixtures().size());
  for (const Fixture& f : all_fixtures()) {
    const std::string base = fmt::format("{}.{}.{}.bpf", f.profile, f.arch, f.variant_name());
    EXPECT_TRUE(has(manifest, fmt::format("| `{}` | {} |", base, instruction_count(f.file())))) << base;
  }
}

}  // namespace
}  // namespace sysfence
