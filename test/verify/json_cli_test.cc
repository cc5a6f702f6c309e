// `verify` and `diff` with --format json, and verify's count and grouping of
// counterexamples, on filters the real libseccomp 2.5.4 built (their
// MANIFEST.md lists the syscall names that libseccomp has no number for,
// written when the fixtures were made) and on filters `compile` writes.
#include <gtest/gtest.h>
#include <linux/seccomp.h>

#include <boost/json.hpp>
#include <cerrno>
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
  const std::string source = cli_runner::tmp_path("no-load.s");
  cli_runner::write_file(source, R"(
    A = arch
    if (A != ARCH_X86_64) goto kill
    if (A == 0) goto allow          # meant for read (0): A still holds the arch
    return ERRNO(1)
allow:
    return ALLOW
kill:
    return KILL_PROCESS
)");
  const std::string filter = cli_runner::tmp_path("no-load.bpf");
  const Result assembled = run({"asm", source, "--arch", "x86_64", "-o", filter});
  ASSERT_EQ(assembled.exit_code, 0) << assembled.describe();
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
