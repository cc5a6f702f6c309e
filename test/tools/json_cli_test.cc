// `--format json` (and audit's `--format sarif`) end to end: the built binary's
// documents parsed with Boost.JSON and checked against facts the test knows
// on its own — the kernel's SECCOMP_RET_* and AUDIT_ARCH_* values, x86_64
// syscall numbers, what Docker's default profile decides, the positions of
// entries in profile/data/docker-default.json.
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include <boost/json.hpp>
#include <cerrno>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "test/cli_runner.h"

namespace sysfence {
namespace {

namespace json = boost::json;
using cli_runner::Result;

// x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl).
constexpr uint64_t kNrRead = 0;
constexpr uint64_t kNrExecve = 59;
constexpr uint64_t kNrMount = 165;
constexpr uint64_t kErrnoEperm = SECCOMP_RET_ERRNO | EPERM;

Result run(const std::vector<std::string>& args) { return cli_runner::run_sysfence(args); }

// The document on stdout; fails the test when it is not one JSON object with
// the shared head fields.
json::object parse_document(const Result& r, std::string_view command) {
  boost::system::error_code ec;
  json::value v = json::parse(r.out, ec);
  EXPECT_FALSE(ec) << ec.message() << "\n" << r.out.substr(0, 400);
  if (ec || !v.is_object()) return {};
  json::object o = v.as_object();
  EXPECT_TRUE(o.contains("version") && o.at("version").is_int64()) << r.out.substr(0, 200);
  if (o.contains("version") && o.at("version").is_int64()) {
    EXPECT_EQ(o.at("version").as_int64(), 1);
  }
  EXPECT_TRUE(o.contains("sysfence") && o.at("sysfence").is_string());
  if (o.contains("command")) {
    EXPECT_EQ(o.at("command").as_string(), command);
  } else {
    ADD_FAILURE() << "no \"command\"";
  }
  // The tool version is the one --version prints ("sysfence X.Y.Z").
  const Result version = run({"--version"});
  const std::string first_line = version.out.substr(0, version.out.find('\n'));
  if (o.contains("sysfence") && o.at("sysfence").is_string()) {
    EXPECT_EQ("sysfence " + std::string(o.at("sysfence").as_string()), first_line);
  }
  return o;
}

uint64_t number(const json::value& v) { return v.is_uint64() ? v.as_uint64() : static_cast<uint64_t>(v.as_int64()); }

TEST(JsonCli, SimAnswersAsTheKernelSpellsIt) {
  Result r = run({"sim", "default", "--arch", "x86_64", "--syscall", "mount", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  json::object o = parse_document(r, "sim");
  EXPECT_EQ(o.at("arch").as_string(), "x86_64");
  const json::array& results = o.at("results").as_array();
  ASSERT_EQ(results.size(), 1u);
  const json::object& mount = results[0].as_object();
  EXPECT_EQ(mount.at("input").at("syscall").as_string(), "mount");
  EXPECT_EQ(number(mount.at("input").at("data").at("nr")), kNrMount);
  EXPECT_EQ(number(mount.at("input").at("data").at("arch")), AUDIT_ARCH_X86_64);
  // Docker's default profile denies mount without CAP_SYS_ADMIN with EPERM.
  EXPECT_EQ(number(mount.at("action").at("value")), kErrnoEperm);
  EXPECT_EQ(mount.at("action").at("name").as_string(), "ERRNO(1)");
  EXPECT_GT(number(mount.at("insns")), 0u);

  const std::string inputs = cli_runner::tmp_path("inputs.txt");
  cli_runner::write_file(inputs, "read\n# a comment\nexecve 1 2\n");
  r = run({"sim", "default", "--arch", "x86_64", "--inputs", inputs, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  o = parse_document(r, "sim");
  const json::array& batch = o.at("results").as_array();
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(number(batch[0].at("input").at("data").at("nr")), kNrRead);
  EXPECT_EQ(number(batch[0].at("action").at("value")), SECCOMP_RET_ALLOW);
  EXPECT_EQ(number(batch[1].at("input").at("data").at("nr")), kNrExecve);
  EXPECT_EQ(number(batch[1].at("input").at("data").at("args").at(1)), 2u);
  EXPECT_EQ(number(batch[1].at("action").at("value")), SECCOMP_RET_ALLOW);
}

TEST(JsonCli, ErrorsLeaveStdoutEmpty) {
  const std::string inputs = cli_runner::tmp_path("bad_inputs.txt");
  cli_runner::write_file(inputs, "read\nnosuchcall\n");
  const std::vector<std::vector<std::string>> cases = {
      {"sim", "default", "--arch", "x86_64", "--inputs", inputs, "--format", "json"},
      {"sim", "default", "--arch", "x86_64", "--syscall", "read", "--format", "yaml"},
      {"resolve", "--arch", "x86_64", "read", "nosuchcall", "--format", "json"},
      {"explain", "nosuchcall", "--arch", "x86_64", "--format", "json"},
      {"audit", "/nonexistent/profile.json", "--format", "sarif"},
      {"stats", "default", "--arch", "x86_64", "--range", "9-1", "--format", "json"},
      {"verify", "--profile", "default", "--bpf", "/nonexistent.bpf", "--format", "json"},
      {"diff", "/nonexistent.bpf", "/nonexistent2.bpf", "--format", "json"},
      {"verify", "--profile", "default", "--bpf", "/nonexistent.bpf", "--format", "sarif"},
  };
  for (const auto& args : cases) {
    const Result r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << "\n" << r.describe();
    EXPECT_EQ(r.out, "") << args[0];
    EXPECT_TRUE(r.err.starts_with("sysfence: ")) << r.err;
  }
}

TEST(JsonCli, ResolveNamesNumbersAndArches) {
  Result r = run({"resolve", "--arch", "x86_64", "read", "59", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  json::object o = parse_document(r, "resolve");
  const json::array& s = o.at("syscalls").as_array();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].at("name").as_string(), "read");
  EXPECT_EQ(number(s[0].at("nr")), kNrRead);
  EXPECT_EQ(s[1].at("query").as_string(), "59");
  EXPECT_EQ(s[1].at("name").as_string(), "execve");

  r = run({"resolve", "--list-arches", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  o = parse_document(r, "resolve");
  bool found = false;
  for (const json::value& a : o.at("arches").as_array()) {
    if (a.at("name").as_string() != "x86_64") continue;
    found = true;
    EXPECT_EQ(number(a.at("audit_arch")), AUDIT_ARCH_X86_64);
    EXPECT_EQ(a.at("endian").as_string(), "little");
    EXPECT_EQ(number(a.at("bits")), 64u);
  }
  EXPECT_TRUE(found);
  // One ABI per row of the text table (after its header).
  const Result text = run({"resolve", "--list-arches"});
  EXPECT_EQ(o.at("arches").as_array().size() + 1,
            static_cast<size_t>(std::count(text.out.begin(), text.out.end(), '\n')));

  r = run({"resolve", "--arch", "x86_64", "--list", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0);
  const Result list = run({"resolve", "--arch", "x86_64", "--list"});
  EXPECT_EQ(parse_document(r, "resolve").at("syscalls").as_array().size(),
            static_cast<size_t>(std::count(list.out.begin(), list.out.end(), '\n')));
}

TEST(JsonCli, ExplainGivesTheDecisionAndItsRules) {
  Result r = run({"explain", "mount", "--arch", "x86_64", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  json::object o = parse_document(r, "explain");
  EXPECT_EQ(o.at("abi").as_string(), "x86_64");
  EXPECT_EQ(number(o.at("nr")), kNrMount);
  EXPECT_TRUE(o.at("decision").at("constant").as_bool());
  EXPECT_EQ(number(o.at("decision").at("action").at("value")), kErrnoEperm);
  // The text explanation travels along, as the text command prints it.
  EXPECT_EQ(o.at("text").as_string(), run({"explain", "mount", "--arch", "x86_64"}).out);

  // personality: allowed for a few personas, by rules with their positions.
  r = run({"explain", "personality", "--arch", "x86_64", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  o = parse_document(r, "explain");
  EXPECT_FALSE(o.at("decision").at("constant").as_bool());
  const json::array& rules = o.at("decision").at("rules").as_array();
  ASSERT_FALSE(rules.empty());
  for (const json::value& rule : rules) {
    EXPECT_EQ(number(rule.at("action").at("value")), SECCOMP_RET_ALLOW);
    EXPECT_EQ(rule.at("location").at("file").as_string(), "default");
    EXPECT_GT(number(rule.at("location").at("line")), 0u);
    EXPECT_EQ(rule.at("conditions").as_array().size(), 1u);
  }
}

TEST(JsonCli, StatsMeasuresTheWrittenFilter) {
  const std::string bpf = cli_runner::tmp_path("default.bpf");
  ASSERT_EQ(run({"compile", "default", "--arch", "x86_64", "-o", bpf}).exit_code, 0);
  const size_t length = cli_runner::read_file(bpf).size() / 8;  // struct sock_filter is 8 bytes
  Result r = run({"stats", "--bpf", bpf, "--arch", "x86_64", "--range", "0-9", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  json::object o = parse_document(r, "stats");
  EXPECT_EQ(number(o.at("length")), length);
  EXPECT_TRUE(o.at("compiler").is_null());
  const json::object& x86 = o.at("abis").at(0).as_object();
  EXPECT_EQ(x86.at("abi").as_string(), "x86_64");
  EXPECT_EQ(x86.at("insns").as_array().size(), 10u);
  uint64_t max = 0;
  for (const json::value& n : x86.at("insns").as_array()) max = std::max(max, number(n));
  EXPECT_EQ(number(x86.at("max_insns")), max);
  EXPECT_LE(max, length);

  r = run({"stats", "default", "--arch", "x86_64", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  o = parse_document(r, "stats");
  EXPECT_EQ(number(o.at("length")), length);
  EXPECT_EQ(o.at("compiler").at("strategy").as_string(), "optimal");

  r = run({"stats", "default", "--arch", "x86_64", "--compare", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  o = parse_document(r, "stats");
  std::set<std::string> strategies;
  for (const json::value& s : o.at("strategies").as_array())
    strategies.insert(std::string(s.at("strategy").as_string()));
  EXPECT_EQ(strategies, (std::set<std::string>{"optimal", "balanced", "linear"}));
}

// Filters given with --compare --bpf NAME=FILE are entries of their own: never
// taken for one of sysfence's strategies, named as given, and with the count
// of numbers they answer otherwise than the optimal tree.
TEST(JsonCli, StatsCompareNamesExternalFilters) {
  const std::string linear = cli_runner::tmp_path("json-linear.bpf");
  const std::string allow_all = cli_runner::tmp_path("json-allow-all.bpf");
  const std::string source = cli_runner::tmp_path("json-allow-all.s");
  const std::vector<std::string> target = {"--arch", "x86_64", "--kernel", "6.1"};
  std::vector<std::string> args = {"compile", "default", "--strategy", "linear", "-o", linear};
  args.insert(args.end(), target.begin(), target.end());
  ASSERT_EQ(run(args).exit_code, 0);
  cli_runner::write_file(source, "return ALLOW\n");
  ASSERT_EQ(run({"asm", source, "--arch", "x86_64", "-o", allow_all}).exit_code, 0);

  args = {"stats",    "default", "--compare", "--bpf", "lin=" + linear, "--bpf", "everything=" + allow_all,
          "--format", "json"};
  args.insert(args.end(), target.begin(), target.end());
  const Result r = run(args);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  const json::object o = parse_document(r, "stats");
  std::vector<std::pair<std::string, std::string>> entries;  // (strategy, name)
  std::vector<uint64_t> lengths;
  std::vector<uint64_t> unlike;  // answers_unlike_optimal of the x86_64 ABI
  for (const json::value& s : o.at("strategies").as_array()) {
    entries.emplace_back(s.at("strategy").as_string(), s.at("name").as_string());
    lengths.push_back(number(s.at("length")));
    const json::object& x86 = s.at("abis").as_array().at(0).as_object();
    EXPECT_EQ(x86.at("abi").as_string(), "x86_64");
    unlike.push_back(number(x86.at("answers_unlike_optimal")));
  }
  const std::vector<std::pair<std::string, std::string>> expected = {{"optimal", "optimal"},
                                                                     {"balanced", "balanced"},
                                                                     {"linear", "linear"},
                                                                     {"external", "lin"},
                                                                     {"external", "everything"}};
  ASSERT_EQ(entries, expected) << r.out.substr(0, 400);
  // sysfence's linear program, given as a file, is the linear strategy's.
  EXPECT_EQ(lengths[3], lengths[2]);
  EXPECT_EQ(lengths[4], 1u);
  EXPECT_EQ(unlike, (std::vector<uint64_t>{0, 0, 0, 0, unlike[4]}));
  // The allow-all filter allows what Docker's default denies (mount, 165).
  EXPECT_GT(unlike[4], 0u);
}

// The line and column of the `{` that opens the first syscalls[] entry naming
// `name` in the JSON text (1-based; a tab is one column).
std::pair<uint64_t, uint64_t> entry_position(const std::string& text, std::string_view name) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  const std::string quoted = "\"" + std::string(name) + "\"";
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find(quoted) == std::string::npos) continue;
    for (size_t j = i + 1; j-- > 0;) {
      const size_t brace = lines[j].find('{');
      if (brace != std::string::npos && lines[j].find_first_not_of(" \t") == brace) return {j + 1, brace + 1};
    }
  }
  return {0, 0};
}

TEST(JsonCli, AuditJsonAndSarif) {
  const std::string profile = cli_runner::runfile("profile/data/docker-default.json");
  Result text = run({"audit", profile, "--arch", "x86_64"});
  Result r = run({"audit", profile, "--arch", "x86_64", "--format", "json"});
  EXPECT_EQ(r.exit_code, text.exit_code) << r.describe();
  json::object o = parse_document(r, "audit");
  const json::array& findings = o.at("findings").as_array();
  ASSERT_FALSE(findings.empty());
  uint64_t counted = 0;
  for (const auto& [severity, n] : o.at("counts").as_object()) counted += number(n);
  EXPECT_EQ(counted, findings.size());
  // The ptrace finding points at the entry that allows ptrace (kernel >= 4.8).
  const auto [line, col] = entry_position(cli_runner::read_file(profile), "ptrace");
  ASSERT_GT(line, 0u);
  bool saw_ptrace = false;
  for (const json::value& f : findings) {
    if (f.at("check").as_string() != "ptrace") continue;
    saw_ptrace = true;
    EXPECT_EQ(f.at("severity").as_string(), "medium");
    EXPECT_EQ(f.at("location").at("file").as_string(), profile);
    EXPECT_EQ(number(f.at("location").at("line")), line);
    EXPECT_EQ(number(f.at("location").at("col")), col);
    ASSERT_FALSE(f.at("inputs").as_array().empty());
    EXPECT_EQ(number(f.at("inputs").at(0).at("arch")), AUDIT_ARCH_X86_64);
  }
  EXPECT_TRUE(saw_ptrace);

  r = run({"audit", profile, "--arch", "x86_64", "--format", "sarif"});
  EXPECT_EQ(r.exit_code, text.exit_code) << r.describe();
  boost::system::error_code ec;
  json::value sarif = json::parse(r.out, ec);
  ASSERT_FALSE(ec) << r.out.substr(0, 300);
  EXPECT_TRUE(sarif.at("$schema").is_string());
  EXPECT_EQ(sarif.at("version").as_string(), "2.1.0");
  ASSERT_EQ(sarif.at("runs").as_array().size(), 1u);
  const json::value& run0 = sarif.at("runs").at(0);
  const json::value& driver = run0.at("tool").at("driver");
  EXPECT_EQ(driver.at("name").as_string(), "sysfence");
  EXPECT_TRUE(driver.at("version").is_string());
  EXPECT_TRUE(std::string(driver.at("informationUri").as_string()).starts_with("https://"));
  std::set<std::string> rule_ids;
  for (const json::value& rule : driver.at("rules").as_array()) {
    rule_ids.insert(std::string(rule.at("id").as_string()));
    EXPECT_FALSE(rule.at("shortDescription").at("text").as_string().empty());
  }
  const json::array& results = run0.at("results").as_array();
  EXPECT_EQ(results.size(), findings.size());
  for (size_t i = 0; i < results.size(); ++i) {
    const json::value& res = results[i];
    EXPECT_TRUE(rule_ids.count(std::string(res.at("ruleId").as_string()))) << res.at("ruleId");
    const std::string severity(findings[i].at("severity").as_string());
    const std::string expected = severity == "critical" || severity == "high" ? "error"
                                 : severity == "medium"                       ? "warning"
                                                                              : "note";
    EXPECT_EQ(res.at("level").as_string(), expected);
    EXPECT_FALSE(res.at("message").at("text").as_string().empty());
    const json::value& physical = res.at("locations").at(0).at("physicalLocation");
    EXPECT_EQ(physical.at("artifactLocation").at("uri").as_string(), profile);
    if (res.at("ruleId").as_string() == "ptrace") {
      EXPECT_EQ(number(physical.at("region").at("startLine")), line);
      EXPECT_EQ(number(physical.at("region").at("startColumn")), col);
    }
  }

  // A raw filter: findings point at the filter file itself.
  const std::string bpf = cli_runner::tmp_path("audit.bpf");
  ASSERT_EQ(run({"compile", "default", "--arch", "x86_64", "-o", bpf}).exit_code, 0);
  r = run({"audit", "--bpf", bpf, "--arch", "x86_64", "--format", "sarif", "--fail-on", "critical"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  sarif = json::parse(r.out);
  for (const json::value& res : sarif.at("runs").at(0).at("results").as_array())
    EXPECT_EQ(res.at("locations").at(0).at("physicalLocation").at("artifactLocation").at("uri").as_string(), bpf);
}

}  // namespace
}  // namespace sysfence
