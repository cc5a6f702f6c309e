// `verify` and `diff` with --format json, and verify's count and grouping of
// counterexamples, on filters the real libseccomp 2.5.4 built (their
// MANIFEST.md lists the syscall names that libseccomp has no number for,
// written when the fixtures were made) and on filters `compile` writes.
#include <gtest/gtest.h>
#include <linux/seccomp.h>

#include <boost/json.hpp>
#include <cerrno>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test/cli_runner.h"

namespace sysfence {
namespace {

namespace json = boost::json;
using cli_runner::Result;

Result run(const std::vector<std::string>& args) { return cli_runner::run_sysfence(args); }
std::string fixture(std::string_view name) {
  return cli_runner::runfile("test/verify/data/libseccomp/" + std::string(name));
}
uint64_t number(const json::value& v) { return v.is_uint64() ? v.as_uint64() : static_cast<uint64_t>(v.as_int64()); }

json::object document(const Result& r, std::string_view command) {
  boost::system::error_code ec;
  json::value v = json::parse(r.out, ec);
  EXPECT_FALSE(ec) << r.out.substr(0, 300);
  if (ec || !v.is_object()) return {};
  EXPECT_EQ(v.at("version").as_int64(), 1);
  EXPECT_EQ(v.at("command").as_string(), command);
  return v.as_object();
}

// TEXT assembled as a raw x86_64 filter NAME.bpf in the test's directory:
// its path, or nullopt (said) when asm refused it.
std::optional<std::string> assembled(const std::string& name, const std::string& text) {
  const std::string source = cli_runner::tmp_path(name + ".s");
  cli_runner::write_file(source, text);
  const std::string filter = cli_runner::tmp_path(name + ".bpf");
  const Result r = run({"asm", source, "--arch", "x86_64", "-o", filter});
  if (r.exit_code == 0) return filter;
  ADD_FAILURE() << r.describe();
  return std::nullopt;
}

// Every name MANIFEST.md says libseccomp has no number for in the docker-default
// x86_64 build (unknown everywhere, or on X86_64, X86 or X32).
std::set<std::string> names_libseccomp_lacks() {
  std::set<std::string> names;
  std::istringstream in(cli_runner::read_file(fixture("MANIFEST.md")));
  bool in_section = false;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("- `"))
      in_section = line.starts_with("- `docker-default.json`") || line.starts_with("- `docker-default.x86_64`");
    if (!in_section || line.find("libseccomp 2.5.4") == std::string::npos || !line.starts_with("  - ")) continue;
    std::string list = line.substr(line.find(": ") + 2);
    std::istringstream items(list);
    for (std::string item; std::getline(items, item, ',');) {
      item.erase(0, item.find_first_not_of(' '));
      names.insert(item);
    }
  }
  return names;
}

TEST(VerifyJson, LibseccompFilterDiffersWhereItHasNoNumber) {
  const std::set<std::string> lacking = names_libseccomp_lacks();
  ASSERT_TRUE(lacking.count("mseal")) << "MANIFEST.md changed";
  // --semantics libseccomp without its libseccomp 2.5.4 syscall numbers
  // (--multiplex libseccomp), which would drop those rules as runc does and
  // prove the two equal (checked last).
  const std::vector<std::string> base = {"verify",
                                         "--profile",
                                         "default",
                                         "--bpf",
                                         fixture("docker-default.x86_64.libseccomp.bpf"),
                                         "--arch",
                                         "x86_64",
                                         "--arg-width",
                                         "64",
                                         "--bad-arch",
                                         "kill-thread",
                                         "--rule-combination",
                                         "libseccomp",
                                         "--unknown-syscalls",
                                         "default"};
  std::vector<std::string> args = base;
  args.insert(args.end(), {"--format", "json", "--max-counterexamples", "1000"});
  const Result r = run(args);
  ASSERT_EQ(r.exit_code, 1) << r.describe();
  const json::object o = document(r, "verify");
  EXPECT_EQ(o.at("verdict").as_string(), "different");
  EXPECT_TRUE(o.at("complete").as_bool());
  const uint64_t count = number(o.at("counterexample_count"));
  const json::array& shown = o.at("counterexamples").as_array();
  ASSERT_EQ(shown.size(), count);
  ASSERT_GT(count, 0u);
  // Each one: a syscall libseccomp has no number for, which the profile
  // allows and the filter leaves to Docker's default action, EPERM.
  std::set<std::string> seen;
  for (const json::value& c : shown) {
    const std::string name(c.at("input").at("syscall").as_string());
    seen.insert(name);
    EXPECT_TRUE(lacking.count(name)) << name;
    EXPECT_EQ(c.at("cause").as_string(), "unlisted-syscall") << name;
    EXPECT_EQ(number(c.at("filter_action").at("value")), SECCOMP_RET_ERRNO | EPERM) << name;
    EXPECT_EQ(number(c.at("profile_action").at("value")), SECCOMP_RET_ALLOW) << name;
  }
  EXPECT_TRUE(seen.count("mseal"));
  const json::array& causes = o.at("causes").as_array();
  ASSERT_EQ(causes.size(), 1u);
  EXPECT_EQ(number(causes[0].at("count")), count);
  std::set<std::string> grouped;
  for (const json::value& n : causes[0].at("syscalls").as_array()) grouped.insert(std::string(n.as_string()));
  EXPECT_EQ(grouped, seen);

  // The text says how many there are and shows three of them.
  const Result text = run(base);
  ASSERT_EQ(text.exit_code, 1);
  EXPECT_TRUE(text.out.starts_with("NOT equivalent: " + std::to_string(count) + " counterexamples")) << text.out;
  EXPECT_NE(text.out.find("showing 3 of " + std::to_string(count)), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("  " + std::to_string(count) + " are syscalls the profile lists"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("counterexample 3: "), std::string::npos);
  EXPECT_EQ(text.out.find("counterexample 4: "), std::string::npos);

  const Result preset = run({"verify", "--profile", "default", "--bpf", fixture("docker-default.x86_64.libseccomp.bpf"),
                             "--arch", "x86_64", "--semantics", "libseccomp"});
  EXPECT_EQ(preset.exit_code, 0) << preset.describe();
  EXPECT_TRUE(preset.out.starts_with("equivalent (proved")) << preset.out;
}

// A filter that compares the arch word where it should load the syscall
// number (what libseccomp 2.5.4 writes in a multi-ABI filter, see the
// cause's text): every counterexample on that path is `no-syscall-number`,
// not argument-width or unlisted-syscall, which clearing the upper halves or
// the region's shape would suggest.
TEST(VerifyJson, AFilterThatNeverLoadsTheNumberIsItsOwnCause) {
  const std::optional<std::string> assembled_filter = assembled("no-load", R"(
    A = arch
    if (A != ARCH_X86_64) goto kill
    if (A == 0) goto allow          # meant for read (0): A still holds the arch
    return ERRNO(1)
allow:
    return ALLOW
kill:
    return KILL_PROCESS
)");
  ASSERT_TRUE(assembled_filter);
  const std::string& filter = *assembled_filter;
  const std::string profile = cli_runner::tmp_path("read-if-zero.json");
  cli_runner::write_file(profile, R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
  {"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}]})");
  const Result r = run({"verify", "--profile", profile, "--bpf", filter, "--arch", "x86_64", "--semantics",
                        "libseccomp", "--format", "json", "--max-counterexamples", "100"});
  ASSERT_EQ(r.exit_code, 1) << r.describe();
  const json::object o = document(r, "verify");
  // The other counterexamples are the x32 numbers and foreign arch values
  // this one-ABI profile gives its bad-arch action (`arch`).
  std::set<std::string> causes;
  for (const json::value& g : o.at("causes").as_array()) {
    causes.insert(std::string(g.at("cause").as_string()));
    if (g.at("cause").as_string() == "no-syscall-number") {
      EXPECT_EQ(g.at("syscalls").as_array().at(0).as_string(), "read");
    }
  }
  EXPECT_EQ(causes, (std::set<std::string>{"arch", "no-syscall-number"})) << r.out;
}

// A filter for x86_64 alone against a profile that also covers x32: the x32
// counterexamples are the filter's bad-arch answer (`filter-lacks-arch`),
// and on x86_64 a short allowlist that denies what the profile allows reads
// the number (the table's every syscall asked, not a sample that misses
// the few it allows): never `no-syscall-number`.
TEST(VerifyJson, AFilterWithoutAnAbiAndAShortAllowlistAreNotNumberlessFilters) {
  const std::optional<std::string> assembled_filter = assembled("short-allowlist", R"(
    A = arch
    if (A != ARCH_X86_64) goto kill
    A = sys_number
    if (A >= 0x40000000) goto kill
    if (A == read) goto allow
    if (A == write) goto allow
    if (A == exit_group) goto allow
    return ERRNO(1)
allow:
    return ALLOW
kill:
    return KILL_PROCESS
)");
  ASSERT_TRUE(assembled_filter);
  const std::string& filter = *assembled_filter;
  const std::string profile = cli_runner::tmp_path("x86_64-and-x32.json");
  cli_runner::write_file(profile, R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32"],
  "syscalls": [{"names": ["read", "write", "exit_group", "getpid", "close"], "action": "SCMP_ACT_ALLOW"}]})");
  const Result r = run({"verify", "--profile", profile, "--bpf", filter, "--arch", "x86_64", "--unknown-syscalls",
                        "default", "--format", "json", "--max-counterexamples", "100"});
  ASSERT_EQ(r.exit_code, 1) << r.describe();
  const json::object o = document(r, "verify");
  std::map<std::string, std::set<std::string>> by_cause;
  for (const json::value& g : o.at("causes").as_array())
    for (const json::value& name : g.at("syscalls").as_array())
      by_cause[std::string(g.at("cause").as_string())].insert(std::string(name.as_string()));
  EXPECT_FALSE(by_cause.contains("no-syscall-number")) << r.out;
  ASSERT_TRUE(by_cause.contains("filter-lacks-arch")) << r.out;
  // x32's syscalls, which the filter kills as a foreign arch's; getpid and
  // close on x86_64 are the allowlist's own difference.
  EXPECT_TRUE(by_cause["filter-lacks-arch"].contains("read")) << r.out;
  bool x86_64_difference = false;
  for (const auto& [cause, names] : by_cause)
    x86_64_difference = x86_64_difference || (cause != "filter-lacks-arch" && names.contains("getpid"));
  EXPECT_TRUE(x86_64_difference) << r.out;
}

// Outside the symbolic fragment `diff` tests; thousands of differing inputs
// that differ only in words neither side reads are one difference, listed
// once per arch, number and pair of answers, so that a difference on other
// answers is listed too: here args[0] == 0x12344 (A + 1 hits the constant)
// and args[0] == 0x12345.
TEST(VerifyJson, DifferencesFoundByTestingAreListedOncePerPairOfAnswers) {
  const std::optional<std::string> a = assembled("add-one", R"(
    A = arch
    if (A != ARCH_X86_64) goto kill
    A = sys_number
    if (A != getpid) goto allow
    A = args[0]
    A += 1
    if (A != 0x12345) goto allow
    return ERRNO(1)
allow:
    return ALLOW
kill:
    return KILL_PROCESS
)");
  const std::optional<std::string> b = assembled("equal", R"(
    A = arch
    if (A != ARCH_X86_64) goto kill
    A = sys_number
    if (A != getpid) goto allow
    A = args[0]
    if (A != 0x12345) goto allow
    return ERRNO(1)
allow:
    return ALLOW
kill:
    return KILL_PROCESS
)");
  ASSERT_TRUE(a && b);
  const Result r = run({"diff", *a, *b, "--arch", "x86_64", "--format", "json"});
  ASSERT_EQ(r.exit_code, 1) << r.describe();
  const json::object o = document(r, "diff");
  EXPECT_TRUE(o.at("tested").as_bool());
  EXPECT_EQ(o.at("region_count").as_int64(), 2) << r.out;
  std::set<uint64_t> low_words;
  for (const json::value& region : o.at("regions").as_array()) {
    const json::value& input = region.at("example").at("data");
    low_words.insert(static_cast<uint64_t>(input.at("args").as_array().at(0).to_number<uint64_t>()) & 0xffffffffU);
  }
  EXPECT_EQ(low_words, (std::set<uint64_t>{0x12344, 0x12345})) << r.out;
}

TEST(VerifyJson, ArgumentWidthIsItsOwnCause) {
  // libseccomp compares all 64 bits; the profile read as the kernel reads
  // its 32-bit arguments (--arg-width abi, the default) differs from it only
  // where an argument's upper half is set (socket's family, personality).
  const Result r = run({"verify", "--profile", "default", "--bpf", fixture("docker-default.x86_64.libseccomp.bpf"),
                        "--arch", "x86_64", "--format", "json", "--max-counterexamples", "1000"});
  ASSERT_EQ(r.exit_code, 1) << r.describe();
  const json::object o = document(r, "verify");
  uint64_t width = 0;
  for (const json::value& c : o.at("counterexamples").as_array()) {
    if (c.at("cause").as_string() != "argument-width") continue;
    ++width;
    bool high = false;
    for (const json::value& a : c.at("input").at("data").at("args").as_array()) high = high || number(a) >> 32 != 0;
    EXPECT_TRUE(high) << c.at("input").at("text");
  }
  EXPECT_GT(width, 0u);
  uint64_t sum = 0;
  for (const json::value& g : o.at("causes").as_array()) sum += number(g.at("count"));
  EXPECT_EQ(sum, number(o.at("counterexample_count")));
}

// The cause groups of a verify document: cause id -> the syscalls named.
std::map<std::string, std::set<std::string>> cause_groups(const json::object& o) {
  std::map<std::string, std::set<std::string>> out;
  for (const json::value& g : o.at("causes").as_array()) {
    auto& names = out[std::string(g.at("cause").as_string())];
    for (const json::value& n : g.at("syscalls").as_array()) names.insert(std::string(n.as_string()));
  }
  return out;
}

// Two ioctl rules compared at 64 bits that overlap with different actions:
// the profile takes the more restrictive (TRAP), the filter tests the LOG
// rule first. Clearing every upper half makes both sides give the default
// action, yet no width is involved: both compare all 64 bits. The cause is
// the overlap, never argument-width.
// The other direction: a filter compiled as the kernel reads personality's
// 32-bit argument (the default, --arg-width abi) against the profile read
// at 64 bits, as libseccomp reads it: they differ only where the upper half
// is set, and that is still a difference of widths.
TEST(VerifyJson, AFilterReadingLowWordsIsAWidthDifference) {
  const std::string profile = cli_runner::tmp_path("personality-wide.json");
  cli_runner::write_file(profile, R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
  "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [
  {"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"},
  {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]})");
  const std::string filter = cli_runner::tmp_path("personality-low.bpf");
  const Result compiled = run({"compile", profile, "--arch", "x86_64", "-o", filter});
  ASSERT_EQ(compiled.exit_code, 0) << compiled.describe();
  const Result r = run({"verify", "--profile", profile, "--bpf", filter, "--arch", "x86_64", "--arg-width", "64",
                        "--format", "json", "--max-counterexamples", "100"});
  ASSERT_EQ(r.exit_code, 1) << r.describe();
  const auto groups = cause_groups(document(r, "verify"));
  ASSERT_TRUE(groups.count("argument-width")) << r.out;
  EXPECT_EQ(groups.at("argument-width"), std::set<std::string>{"personality"});
  EXPECT_EQ(groups.size(), 1u) << r.out;
}

TEST(VerifyJson, OverlappingRulesDecidedOtherwiseAreNotCalledAWidth) {
  const std::optional<std::string> assembled_filter = assembled("log-first", R"(
    A = arch
    if (A != ARCH_X86_64) goto kill
    A = sys_number
    if (A >= 0x40000000) goto kill
    if (A != ioctl) goto deny
    A = args[1] >> 32
    if (A != 0) goto log            # the LOG rule's test comes first
    A = args[0] >> 32
    if (A != 0) goto trap
deny:
    return ERRNO(1)
log:
    return LOG
trap:
    return TRAP
kill:
    return KILL_PROCESS
)");
  ASSERT_TRUE(assembled_filter);
  const std::string& filter = *assembled_filter;
  const std::string profile = cli_runner::tmp_path("log-or-trap.json");
  cli_runner::write_file(profile, R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
  "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [
  {"names": ["ioctl"], "action": "SCMP_ACT_LOG", "args": [{"index": 1, "value": 4294967296, "op": "SCMP_CMP_GE"}]},
  {"names": ["ioctl"], "action": "SCMP_ACT_TRAP", "args": [{"index": 0, "value": 4294967296, "op": "SCMP_CMP_GE"}]}]})");
  const std::vector<std::string> args = {"verify", "--profile", profile,       "--bpf", filter,
                                         "--arch", "x86_64",    "--arg-width", "64"};
  std::vector<std::string> as_json = args;
  as_json.insert(as_json.end(), {"--format", "json", "--max-counterexamples", "100"});
  const Result r = run(as_json);
  ASSERT_EQ(r.exit_code, 1) << r.describe();
  const json::object o = document(r, "verify");
  const auto groups = cause_groups(o);
  EXPECT_FALSE(groups.count("argument-width")) << r.out;
  ASSERT_TRUE(groups.count("rule-overlap")) << r.out;
  EXPECT_EQ(groups.at("rule-overlap"), std::set<std::string>{"ioctl"});
  size_t overlap = 0;
  for (const json::value& c : o.at("counterexamples").as_array()) {
    if (c.at("input").at("syscall") != json::value("ioctl")) continue;
    ++overlap;
    EXPECT_EQ(c.at("cause").as_string(), "rule-overlap") << c.at("input").at("text");
    EXPECT_EQ(number(c.at("filter_action").at("value")), SECCOMP_RET_LOG);
    EXPECT_EQ(number(c.at("profile_action").at("value")), SECCOMP_RET_TRAP);
  }
  EXPECT_GT(overlap, 0u);
  const Result text = run(args);
  EXPECT_EQ(text.exit_code, 1) << text.describe();
  EXPECT_NE(text.out.find("are on a syscall whose rules overlap with different actions"), std::string::npos)
      << text.out;
  EXPECT_EQ(text.out.find("upper 32 bits"), std::string::npos) << text.out;
}

// The filter the real libseccomp 2.5.4 exported (CTL_OPTIMIZE 2, disasm
// --asm) for: default ALLOW; read TRAP if a4 == 0 && a1 > 1; read TRAP if
// a1 > 3 && (a2 & 5) == 0. Its tree merges the two chains: it traps
// read(0, 2, 0, 0, 1), which neither rule matches.
constexpr std::string_view kMergedTreeFilter = R"(.arch x86_64
  A = arch
  if (A != ARCH_X86_64) goto L0036
  A = sys_number
  if (A < 0x40000000) goto L0005
  if (A != 0xffffffff) goto L0036
L0005:
  A = sys_number
  if (A != read) goto L0034
  A = args[1] >> 32
  if (A > 0) goto L0024
  if (A != 0) goto L0034
  A = args[1]
  if (A <= 3) goto L0022
  A = args[4] >> 32
  if (A != 0) goto L0016
  A = args[4]
  if (A == 0) goto L0035
L0016:
  A = args[2] >> 32
  A &= 0
  if (A != 0) goto L0022
  A = args[2]
  A &= 5
  if (A == 0) goto L0035
L0022:
  A = args[1]
  if (A <= 1) goto L0034
L0024:
  A = args[4] >> 32
  if (A != 0) goto L0028
  A = args[4]
  if (A == 0) goto L0035
L0028:
  A = args[2] >> 32
  A &= 0
  if (A != 0) goto L0034
  A = args[2]
  A &= 5
  if (A == 0) goto L0035
L0034:
  return ALLOW
L0035:
  return TRAP
L0036:
  return KILL_THREAD
)";

// --semantics libseccomp proves it (the tree's merge is modelled); read as
// the rules say, it differs also where no upper 32 bits are set, so the
// difference is not one of widths.
TEST(VerifyJson, AMergedTreeIsProvedUnderLibseccompAndNotCalledAWidth) {
  const std::string source = cli_runner::tmp_path("merged.s");
  cli_runner::write_file(source, std::string(kMergedTreeFilter));
  const std::string filter = cli_runner::tmp_path("merged.bpf");
  const Result assembled = run({"asm", source, "-o", filter});
  ASSERT_EQ(assembled.exit_code, 0) << assembled.describe();
  const std::string profile = cli_runner::tmp_path("merged.json");
  cli_runner::write_file(profile, R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
  "syscalls": [
  {"names": ["read"], "action": "SCMP_ACT_TRAP", "args": [{"index": 4, "value": 0, "op": "SCMP_CMP_EQ"},
                                                         {"index": 1, "value": 1, "op": "SCMP_CMP_GT"}]},
  {"names": ["read"], "action": "SCMP_ACT_TRAP", "args": [{"index": 1, "value": 3, "op": "SCMP_CMP_GT"},
    {"index": 2, "value": 5, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}]})");
  const Result proved =
      run({"verify", "--profile", profile, "--bpf", filter, "--arch", "x86_64", "--semantics", "libseccomp"});
  EXPECT_EQ(proved.exit_code, 0) << proved.describe();
  const Result r = run({"verify", "--profile", profile, "--bpf", filter, "--arch", "x86_64", "--arg-width", "64",
                        "--rule-combination", "most-restrictive", "--format", "json", "--max-counterexamples", "100"});
  ASSERT_EQ(r.exit_code, 1) << r.describe();
  const auto groups = cause_groups(document(r, "verify"));
  EXPECT_FALSE(groups.count("argument-width")) << r.out;
  EXPECT_TRUE(groups.count("default-action")) << r.out;
}

// Three ioctl rules that overlap with different actions, where sysfence
// does not model libseccomp's tree order (the resolution notes it).
constexpr std::string_view kOverlappingIoctlRules = R"({"defaultAction": "SCMP_ACT_KILL_PROCESS", "defaultErrnoRet": 1,
  "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [
  {"names": ["ioctl"], "args": [{"index": 1, "value": 9223372036854775806, "op": "SCMP_CMP_GT"},
    {"index": 0, "value": 1073741832, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"},
    {"index": 5, "value": 19, "op": "SCMP_CMP_NE"}], "action": "SCMP_ACT_LOG"},
  {"names": ["ioctl"], "args": [{"index": 0, "value": 2147483647, "op": "SCMP_CMP_GT"},
    {"index": 3, "value": 3221225470, "op": "SCMP_CMP_NE"}], "action": "SCMP_ACT_TRAP"},
  {"names": ["ioctl"], "args": [{"index": 5, "value": 172, "op": "SCMP_CMP_EQ"},
    {"index": 3, "value": 4251771793, "valueTwo": 3832062096, "op": "SCMP_CMP_MASKED_EQ"}],
    "action": "SCMP_ACT_KILL_THREAD"}]})";

// libseccomp 2.5.4's filter for kOverlappingIoctlRules: its instructions as
// `sysfence disasm` prints them, labels added.
constexpr std::string_view kLibseccompIoctlFilter = R"(
    A = arch
    if (A != ARCH_X86_64) goto l43
    A = sys_number
    if (A < 0x40000000) goto l5
    if (A != 0xffffffff) goto l43
l5:
    if (A != ioctl) goto l42
    A = args[3] >> 32
    A &= 0
    if (A != 0) goto l16
    A = args[3]
    A &= 0xfd6ce391
    if (A != 0xe468a090) goto l16
    A = args[5] >> 32
    if (A != 0) goto l16
    A = args[5]
    if (A == 0xac) goto l43
l16:
    A = args[0] >> 32
    A &= 0
    if (A != 0) goto l32
    A = args[0]
    A &= 0x40000008
    if (A != 0) goto l32
    A = args[1] >> 32
    if (A > 0x7fffffff) goto l27
    if (A != 0x7fffffff) goto l32
    A = args[1]
    if (A <= 0xfffffffe) goto l32
l27:
    A = args[5] >> 32
    if (A != 0) goto l31
    A = args[5]
    if (A == 0x13) goto l32
l31:
    return LOG
l32:
    A = args[0] >> 32
    if (A > 0) goto l37
    if (A != 0) goto l42
    A = args[0]
    if (A <= 0x7fffffff) goto l42
l37:
    A = args[3] >> 32
    if (A != 0) goto l41
    A = args[3]
    if (A == 0xbffffffe) goto l42
l41:
    return TRAP
l42:
    return KILL_PROCESS
l43:
    return KILL_THREAD
)";

// verify names the unmodelled tree order as the cause of every
// counterexample of that filter, although each one sets some argument's
// upper half (both sides compare all 64 bits).
TEST(VerifyJson, LibseccompsUnmodelledTreeOrderIsNamedAsTheCause) {
  const std::string source = cli_runner::tmp_path("libseccomp-ioctl.s");
  cli_runner::write_file(source, kLibseccompIoctlFilter);
  const std::string filter = cli_runner::tmp_path("libseccomp-ioctl.bpf");
  const Result assembled = run({"asm", source, "--arch", "x86_64", "-o", filter});
  ASSERT_EQ(assembled.exit_code, 0) << assembled.describe();
  const std::string profile = cli_runner::tmp_path("ioctl-overlaps.json");
  cli_runner::write_file(profile, kOverlappingIoctlRules);
  // The resolution's note this cause points to.
  const Result compiled =
      run({"compile", profile, "--arch", "x86_64", "--semantics", "libseccomp", "--format", "json"});
  ASSERT_EQ(compiled.exit_code, 0) << compiled.describe();
  const std::string note = "libseccomp decides between them by the order of its rule tree";
  EXPECT_NE(compiled.out.find("conditional rules of ioctl (x86_64) overlap with different actions; " + note),
            std::string::npos)
      << compiled.out.substr(0, 2000);

  const Result r = run({"verify", "--profile", profile, "--bpf", filter, "--arch", "x86_64", "--semantics",
                        "libseccomp", "--format", "json", "--max-counterexamples", "1000"});
  ASSERT_EQ(r.exit_code, 1) << r.describe();
  const json::object o = document(r, "verify");
  EXPECT_TRUE(o.at("complete").as_bool());
  const json::array& causes = o.at("causes").as_array();
  ASSERT_EQ(causes.size(), 1u) << r.out;
  EXPECT_EQ(causes[0].at("cause").as_string(), "rule-overlap");
  EXPECT_EQ(number(causes[0].at("count")), number(o.at("counterexample_count")));
  const std::string description(causes[0].at("description").as_string());
  EXPECT_NE(description.find("notes \"" + note + " ... which sysfence does not model\""), std::string::npos)
      << description;
  EXPECT_NE(description.find("no --semantics or --rule-combination gives its answer"), std::string::npos)
      << description;
  for (const json::value& c : o.at("counterexamples").as_array()) {
    EXPECT_EQ(c.at("input").at("syscall").as_string(), "ioctl");
    bool high = false;
    for (const json::value& a : c.at("input").at("data").at("args").as_array()) high = high || number(a) >> 32 != 0;
    EXPECT_TRUE(high) << c.at("input").at("text");
  }
}

TEST(VerifyJson, ProvedAndDiff) {
  const std::string bpf = cli_runner::tmp_path("d.bpf");
  const std::string linear = cli_runner::tmp_path("l.bpf");
  ASSERT_EQ(run({"compile", "default", "--arch", "x86_64", "-o", bpf}).exit_code, 0);
  ASSERT_EQ(run({"compile", "default", "--arch", "x86_64", "--strategy", "linear", "-o", linear}).exit_code, 0);
  Result r = run({"verify", "--profile", "default", "--bpf", bpf, "--arch", "x86_64", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  json::object o = document(r, "verify");
  EXPECT_EQ(o.at("verdict").as_string(), "equivalent");
  EXPECT_TRUE(o.at("proved").as_bool());
  EXPECT_EQ(number(o.at("counterexample_count")), 0u);
  EXPECT_GT(number(o.at("paths")), 0u);

  r = run({"diff", bpf, linear, "--arch", "x86_64", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  o = document(r, "diff");
  EXPECT_EQ(o.at("verdict").as_string(), "equivalent");
  EXPECT_FALSE(o.at("identical").as_bool());
  r = run({"diff", bpf, bpf, "--arch", "x86_64", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(document(r, "diff").at("identical").as_bool());

  // libseccomp's filter against sysfence's: the regions where they differ,
  // each with a confirmed example whose answers the interpreter reproduces.
  const std::string libseccomp = fixture("docker-default.x86_64.libseccomp.bpf");
  r = run({"diff", libseccomp, bpf, "--arch", "x86_64", "--format", "json", "--max-regions", "5"});
  ASSERT_EQ(r.exit_code, 1) << r.describe();
  o = document(r, "diff");
  EXPECT_EQ(o.at("verdict").as_string(), "different");
  const json::array& regions = o.at("regions").as_array();
  EXPECT_EQ(regions.size(), std::min<uint64_t>(5, number(o.at("region_count"))));
  for (const json::value& g : regions) {
    const json::value& d = g.at("example").at("data");
    std::vector<std::string> sim = {
        "sim",      "--bpf", libseccomp, "--arch", "x86_64", "--syscall", std::to_string(number(d.at("nr"))),
        "--format", "json"};
    std::string args;
    for (const json::value& a : d.at("args").as_array()) args += (args.empty() ? "" : ",") + std::to_string(number(a));
    sim.insert(sim.end(), {"--args", args, "--ip", std::to_string(number(d.at("instruction_pointer")))});
    if (number(d.at("arch")) != 0xc000003eULL) continue;  // sim runs x86_64 inputs only
    const Result s = run(sim);
    ASSERT_EQ(s.exit_code, 0) << s.describe();
    EXPECT_EQ(number(json::parse(s.out).at("results").at(0).at("action").at("value")),
              number(g.at("a_action").at("value")));
  }
}

}  // namespace
}  // namespace sysfence
