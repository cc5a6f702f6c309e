// Bad input end to end: the built `sysfence` binary (a data dependency) on
// hostile files, for every subcommand that reads input.
//
// Every case checks the CLI contract for bad input (README.md, command line
// reference):
//   * exit code 2 (`run` uses 125 for its own failures, as `docker run`);
//   * exactly one line on stderr, "sysfence: ...", naming the file and the
//     position (JSON line:col; BPF byte offset or instruction index);
//   * nothing on stdout, no output file and no leftover temporary file;
//   * bounded time and memory: the child runs under RLIMIT_CPU and (without
//     AddressSanitizer, whose shadow memory needs terabytes of address
//     space) RLIMIT_AS, and is killed after a wall-clock deadline.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "test/bpf/kernel_child.h"
#include "test/cli_runner.h"

namespace sysfence {
namespace {

constexpr int kExitBadInput = 2;
constexpr rlim_t kCpuSeconds = 60;          // per child (ASan builds are slow)
constexpr rlim_t kAddressSpace = 1u << 30;  // 1 GiB: a 50 MB input must not be slurped whole... twice
constexpr int kWallSeconds = 120;

using cli_runner::closed_stdin;
using cli_runner::full_stdout;
using cli_runner::Result;
using cli_runner::stdin_from;
using RunOptions = cli_runner::Options;

// Every test case gets its own directory, so "no file left behind" is a
// simple listing.
class CliErrors : public testing::Test {
 protected:
  void SetUp() override {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = cli_runner::tmp_path(info->name());
    ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0) << dir_;
  }

  std::string path(std::string_view name) const { return fmt::format("{}/{}", dir_, name); }

  std::string write(std::string_view name, std::string_view bytes) {
    std::string p = path(name);
    cli_runner::write_file(p, bytes);
    return p;
  }

  std::vector<std::string> listing() const { return cli_runner::list_dir(dir_); }

  std::string dir_;
};

// sysfence under the limits above; a child still running at the deadline is
// killed and fails the test.
Result run(const std::vector<std::string>& args, RunOptions opts = {}) {
  opts.cpu_seconds = kCpuSeconds;
  // The sanitizers reserve terabytes of address space up front.
  if (!bpf::testing::running_under_sanitizer()) opts.address_space = kAddressSpace;
  opts.timeout_ms = kWallSeconds * 1000;
  Result r = cli_runner::run_sysfence(args, opts);
  if (r.timed_out) ADD_FAILURE() << "sysfence did not finish within " << kWallSeconds << " s";
  return r;
}

std::string show(const std::vector<std::string>& args, const Result& r) {
  return fmt::format("command: {}\nexit: {} signal: {}\nstderr: {}\nstdout ({} bytes): {}",
                     cli_runner::command_line(args), r.exit_code, r.signal, r.err, r.out.size(), r.out.substr(0, 400));
}

// The contract for bad input: exit `code`, one stderr line that contains
// every `needle`, empty stdout.
void expect_rejected(const std::vector<std::string>& args, std::initializer_list<std::string_view> needles,
                     const RunOptions& opts = {}, int code = kExitBadInput) {
  const Result r = run(args, opts);
  SCOPED_TRACE(show(args, r));
  EXPECT_EQ(r.signal, 0) << "killed by a signal";
  EXPECT_EQ(r.exit_code, code);
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.back(), '\n');
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "more than one line on stderr";
  EXPECT_TRUE(r.err.starts_with("sysfence: ")) << r.err;
  EXPECT_EQ(r.err.find("internal error"), std::string::npos);
  for (std::string_view n : needles) EXPECT_NE(r.err.find(n), std::string::npos) << "missing \"" << n << "\"";
  EXPECT_TRUE(r.out.empty());
}

// What each hostile input of the tables below must give: exit 2, no signal,
// one stderr line holding every needle, and (where `quiet_stdout`) nothing
// on stdout.
void expect_one_line_error(const std::vector<std::string>& args, const std::vector<std::string>& needles,
                           bool quiet_stdout) {
  const Result r = run(args);
  SCOPED_TRACE(show(args, r));
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line";
  for (const auto& n : needles) EXPECT_NE(r.err.find(n), std::string::npos) << n;
  if (quiet_stdout) {
    EXPECT_TRUE(r.out.empty());
  }
}

// ---------------------------------------------------------------- inputs

constexpr std::string_view kGoodProfile = R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "syscalls": [
    {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"}
  ]
}
)";

std::string raw_insn(uint16_t code, uint8_t jt, uint8_t jf, uint32_t k) {
  std::string s(8, '\0');
  s[0] = static_cast<char>(code & 0xff);
  s[1] = static_cast<char>(code >> 8);
  s[2] = static_cast<char>(jt);
  s[3] = static_cast<char>(jf);
  for (int i = 0; i < 4; ++i) s[4 + i] = static_cast<char>((k >> (8 * i)) & 0xff);
  return s;
}

const std::string kRetAllow = raw_insn(0x06, 0, 0, 0x7fff0000);
const std::string kLdNr = raw_insn(0x20, 0, 0, 0);

// A valid little-endian filter: allow everything.
std::string good_bpf() { return kLdNr + kRetAllow; }

// Profile inputs every profile-reading command is checked with: name, file
// contents, what the message must contain.
struct BadProfile {
  std::string_view name;
  std::string text;
  std::vector<std::string> needles;
};

std::vector<BadProfile> bad_profiles() {
  std::vector<BadProfile> v;
  v.push_back(
      {"malformed.json", "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [}\n", {"malformed.json:3:"}});
  v.push_back({"wrong_type.json", "{\n  \"defaultAction\": 7\n}\n", {"wrong_type.json:2:20", "defaultAction"}});
  v.push_back({"unknown_action.json",
               "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [{\"names\": [\"read\"], \"action\": "
               "\"SCMP_ACT_ALOW\"}]}",
               {"unknown_action.json:2:", "SCMP_ACT_ALOW"}});
  v.push_back({"unknown_op.json",
               "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": "
               "\"SCMP_ACT_ERRNO\",\n  \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQQ\"}]}]}",
               {"unknown_op.json:2:", "SCMP_CMP_EQQ"}});
  v.push_back({"unknown_arch.json",
               "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"architectures\": [\"SCMP_ARCH_VAX\"]}",
               {"unknown_arch.json", "SCMP_ARCH_VAX"}});
  v.push_back({"index6.json",
               "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": "
               "\"SCMP_ACT_ERRNO\",\n  \"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
               {"index6.json:2:", "index"}});
  v.push_back(
      {"huge_number.json",
       "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": "
       "\"SCMP_ACT_ERRNO\",\n  \"args\": [{\"index\": 0, \"value\": 18446744073709551616, \"op\": \"SCMP_CMP_EQ\"}]}]}",
       {"huge_number.json:2:"}});
  v.push_back(
      {"negative.json", "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"defaultErrnoRet\": -1}", {"negative.json:2:"}});
  v.push_back({"deep.json", std::string(100000, '[') + std::string(100000, ']'), {"deep.json:1:", "deep"}});
  v.push_back({"empty.json", "", {"empty.json"}});
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 131 + 7) & 0xff));
  v.push_back({"garbage.json", garbage, {"garbage.json:1:1"}});
  v.push_back({"not_object.json", "[1, 2, 3]\n", {"not_object.json:1:1"}});
  return v;
}

// ---------------------------------------------------------------- compile

TEST_F(CliErrors, CompileBadProfiles) {
  for (const BadProfile& p : bad_profiles()) {
    SCOPED_TRACE(p.name);
    const std::string in = write(p.name, p.text);
    expect_one_line_error({"compile", in, "--arch", "x86_64", "-o", path("out.bpf")}, p.needles, true);
  }
  // Only the inputs are left: no out.bpf, no out.bpf.tmp.*.
  for (const std::string& f : listing()) EXPECT_TRUE(f.ends_with(".json")) << "left behind: " << f;
}

TEST_F(CliErrors, CompileFiftyMegabyteFile) {
  // 50 MB of valid-looking JSON: refused by the size limit, not parsed.
  std::string big = R"({"defaultAction": "SCMP_ACT_ALLOW", "comment": ")";
  big.append(50u << 20, 'x');
  big += "\"}";
  const std::string in = write("big.json", big);
  big.clear();
  big.shrink_to_fit();
  expect_rejected({"compile", in, "-o", path("out.bpf")}, {"big.json", "larger than"});
  EXPECT_EQ(listing(), std::vector<std::string>{"big.json"});
}

TEST_F(CliErrors, CompileFiftyMegabytesOnStdin) {
  const std::string in = write("big.json", std::string(50u << 20, ' '));
  expect_rejected({"compile", "-", "-o", path("out.bpf")}, {"<stdin>", "larger than"}, stdin_from(in));
  EXPECT_EQ(listing(), std::vector<std::string>{"big.json"});
}

TEST_F(CliErrors, CompileStdinClosed) {
  expect_rejected({"compile", "-", "-o", path("out.bpf")}, {"<stdin>"}, closed_stdin());
  EXPECT_TRUE(listing().empty());
}

TEST_F(CliErrors, CompileEmptyStdin) {
  expect_rejected({"compile", "-", "-o", path("out.bpf")}, {"<stdin>"}, RunOptions{});
  EXPECT_TRUE(listing().empty());
}

TEST_F(CliErrors, CompileMissingFile) {
  expect_rejected({"compile", path("nope.json")}, {"nope.json", "No such file"});
}

// An empty name (an unset shell variable) is said to be one, wherever a
// file is read.
TEST_F(CliErrors, EmptyFileNames) {
  expect_rejected({"compile", ""}, {"empty file name"});
  expect_rejected({"verify", "--profile", "", "--bpf", path("x.bpf")}, {"empty file name"});
  expect_rejected({"sim", "--bpf", "", "--syscall", "0"}, {"empty file name"});
  expect_rejected({"compile", "default", "--weights", "", "-o", path("out.bpf")}, {"--weights: empty file name"});
  expect_rejected({"sim", "default", "--inputs", ""}, {"--inputs: empty file name"});
}

// A --range past the measured limit names the flag and the limit, not the
// profile or filter it measures.
TEST_F(CliErrors, StatsRangeTooLargeNamesTheFlag) {
  expect_rejected({"stats", "default", "--range", "0-4294967295"},
                  {"--range 0-4294967295: 4294967296 numbers, more than the 1048576 measured at most"});
}

// A bad combination of arguments says what is wrong, then the usage line.
TEST_F(CliErrors, UsageErrorsSayWhatIsWrong) {
  const std::string bpf = path("x.bpf");
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"verify", "--bpf", bpf}, "no --profile given"},
      {{"verify", "--profile", "default"}, "no filter given: --bpf FILE"},
      {{"verify", "--profile", "default", "--bpf", bpf, "--pid", "1"}, "give --bpf FILE or --pid PID, not both"},
      {{"compile", "a.json", "b.json"}, "one PROFILE at a time: 2 given"},
      {{"diff", bpf}, "diff compares two filters (files, dump directories or --pid PID): 1 given"},
      {{"disasm"}, "no FILE.bpf given"},
      {{"stats"}, "no PROFILE given"},
      {{"resolve"}, "give syscall names or numbers, or --list"},
  };
  for (const auto& [args, problem] : cases) {
    const Result r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args[0];
    EXPECT_EQ(r.err.rfind("sysfence: " + problem, 0), 0u) << r.err;
    EXPECT_NE(r.err.find("\nusage: sysfence " + args[0]), std::string::npos) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST_F(CliErrors, CompileDirectoryAsProfile) {
  ASSERT_EQ(::mkdir(path("d.json").c_str(), 0755), 0);
  expect_rejected({"compile", path("d.json")}, {"d.json", "directory"});
}

TEST_F(CliErrors, CompileUnknownArchFlag) {
  const std::string in = write("p.json", kGoodProfile);
  expect_rejected({"compile", in, "--arch", "vax", "-o", path("out.bpf")}, {"vax"});
  EXPECT_EQ(listing(), std::vector<std::string>{"p.json"});
}

TEST_F(CliErrors, CompileUnwritableOutput) {
  const std::string in = write("p.json", kGoodProfile);
  expect_rejected({"compile", in, "--arch", "x86_64", "-o", path("no/such/dir/out.bpf")}, {"out.bpf"});
  // A read-only directory (root ignores permissions, so use a path under a
  // regular file, which fails for everyone).
  expect_rejected({"compile", in, "--arch", "x86_64", "-o", in + "/out.bpf"}, {"out.bpf"});
  EXPECT_EQ(listing(), std::vector<std::string>{"p.json"});
}

TEST_F(CliErrors, CompileStdoutFull) {
  const std::string in = write("p.json", kGoodProfile);
  const Result r = run({"compile", in, "--arch", "x86_64"}, full_stdout());
  SCOPED_TRACE(show({"compile", in}, r));
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_EQ(r.signal, 0);
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1);
  EXPECT_NE(r.err.find("error writing standard output: No space left on device"), std::string::npos);
}

// A profile whose program cannot fit in 4096 instructions: thousands of
// rules on a 64-bit argument (ioctl's `arg`) with distinct errno values, so
// no two leaves merge.
TEST_F(CliErrors, CompileProgramTooLong) {
  std::string text = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [\n";
  for (int i = 0; i < 3000; ++i) {
    text += fmt::format(
        "{}{{\"names\": [\"ioctl\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": {}, "
        "\"args\": [{{\"index\": 2, \"value\": {}, \"op\": \"SCMP_CMP_EQ\"}}]}}\n",
        i == 0 ? "" : ",", 1 + i % 4000, 0x100000000ull * static_cast<uint64_t>(i) + 3u * static_cast<uint64_t>(i));
  }
  text += "]}\n";
  const std::string in = write("long.json", text);
  expect_rejected({"compile", in, "--arch", "x86_64", "-o", path("out.bpf")}, {"4096"});
  EXPECT_EQ(listing(), std::vector<std::string>{"long.json"});
}

// A value quoted in a message is escaped: an escaped line break in it can
// neither end the message early nor forge a second "sysfence: ..." line, and
// a huge value is cut (its length said) instead of filling the terminal.
TEST_F(CliErrors, EscapedLineBreakInValueStaysOneLine) {
  const std::string in = write("nl.json", R"({"defaultAction": "SCMP_ACT_ALLOW\nsysfence: forged line"})");
  expect_rejected({"compile", in, "-o", path("out.bpf")},
                  {"nl.json:1:19", R"(unknown action "SCMP_ACT_ALLOW\nsysfence: forged line")"});
  const std::string key = write("nlkey.json", R"({"defaultAction": "SCMP_ACT_ALLOW", "a\nsysfence: x": 1})");
  // --strict lists its findings one per line, each indented under the first.
  const Result r = run({"compile", key, "--strict", "-o", path("out.bpf")});
  EXPECT_EQ(r.exit_code, kExitBadInput) << r.err;
  EXPECT_NE(r.err.find("unknown field \"a\\nsysfence: x\""), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("\nsysfence: x"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 2) << r.err;
}

TEST_F(CliErrors, HugeValueIsCutInTheMessage) {
  const std::string in = write("huge.json", R"({"defaultAction": ")" + std::string(1 << 20, 'Q') + "\"}");
  expect_rejected({"compile", in, "-o", path("out.bpf")}, {"huge.json:1:19", "(1048576 bytes)"});
  EXPECT_LT(run({"compile", in, "-o", path("out.bpf")}).err.size(), 400u);
}

// ---------------------------------------------------- other profile readers

TEST_F(CliErrors, ExplainBadProfiles) {
  for (const BadProfile& p : bad_profiles()) {
    SCOPED_TRACE(p.name);
    const std::string in = write(p.name, p.text);
    expect_one_line_error({"explain", "read", "--profile", in, "--arch", "x86_64"}, p.needles, false);
  }
}

TEST_F(CliErrors, StatsBadProfile) {
  const std::string in = write("bad.json", "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": 3}");
  expect_rejected({"stats", in, "--arch", "x86_64"}, {"bad.json:2:"});
}

TEST_F(CliErrors, VerifyBadProfile) {
  const std::string bpf = write("f.bpf", good_bpf());
  const std::string in = write("bad.json", "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [,]}");
  expect_rejected({"verify", "--profile", in, "--bpf", bpf, "--arch", "x86_64"}, {"bad.json:2:"});
  // More distinct rules on one syscall than the proof takes: the profile's
  // fault, named so (not the filter's).
  std::string rules;
  for (int i = 0; i < 4200; ++i)
    rules += fmt::format(
        R"({}{{"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{{"index": 0, "op": "SCMP_CMP_EQ", "value": {}}}]}})",
        i == 0 ? "" : ",", i);
  const std::string big = write("big.json", R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [)" + rules + "]}");
  expect_rejected({"verify", "--profile", big, "--bpf", bpf, "--arch", "x86_64"},
                  {"sysfence: " + big + ": personality (x86_64) has more than 4096 distinct rules"});
}

TEST_F(CliErrors, RunBadProfile) {
  // `run` reports its own failures with 125, as `docker run` does.
  const std::string in = write("bad.json", "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [,]}");
  expect_rejected({"run", "--profile", in, "--", "/bin/true"}, {"bad.json:2:"}, {}, 125);
}

TEST_F(CliErrors, AuditBadProfiles) {
  for (const BadProfile& p : bad_profiles()) {
    SCOPED_TRACE(p.name);
    const std::string in = write(p.name, p.text);
    expect_one_line_error({"audit", in, "--arch", "x86_64"}, p.needles, true);
  }
}

TEST_F(CliErrors, SimBadProfile) {
  const std::string in = write("bad.json", "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": {}}");
  expect_rejected({"sim", in, "--arch", "x86_64", "--syscall", "read"}, {"bad.json:2:"});
}

// ------------------------------------------------------------- raw filters

struct BadBpf {
  std::string_view name;
  std::string bytes;
  std::vector<std::string> needles;
  bool disasm_rejects = true;  // disasm prints any whole instructions, valid or not
};

std::vector<BadBpf> bad_filters() {
  std::vector<BadBpf> v;
  v.push_back({"empty.bpf", "", {"empty.bpf"}});
  v.push_back({"truncated.bpf", good_bpf().substr(0, 13), {"truncated.bpf", "byte offset 8"}});
  v.push_back({"jump_out.bpf", raw_insn(0x15, 7, 0, 1) + kRetAllow, {"jump_out.bpf", "instruction 0"}, false});
  v.push_back({"no_ret.bpf", kRetAllow + kLdNr, {"no_ret.bpf", "instruction 1"}, false});
  v.push_back({"bad_load.bpf", raw_insn(0x20, 0, 0, 64) + kRetAllow, {"bad_load.bpf", "instruction 0"}, false});
  v.push_back(
      {"bad_opcode.bpf", kLdNr + raw_insn(0xffff, 0, 0, 0) + kRetAllow, {"bad_opcode.bpf", "instruction 1"}, false});
  std::string too_many;
  for (int i = 0; i < 5000; ++i) too_many += kLdNr;
  too_many += kRetAllow;
  v.push_back({"too_many.bpf", too_many, {"too_many.bpf", "4096"}, false});
  std::string garbage;
  for (int i = 0; i < 4097; ++i) garbage.push_back(static_cast<char>((i * 97 + 13) & 0xff));
  v.push_back({"garbage.bpf", garbage, {"garbage.bpf", "byte offset 4096"}});
  return v;
}

TEST_F(CliErrors, SimBadFilters) {
  for (const BadBpf& b : bad_filters()) {
    SCOPED_TRACE(b.name);
    const std::string f = write(b.name, b.bytes);
    expect_one_line_error({"sim", "--bpf", f, "--arch", "x86_64", "--syscall", "read"}, b.needles, false);
  }
}

TEST_F(CliErrors, DiffBadFilters) {
  const std::string good = write("good.bpf", good_bpf());
  for (const BadBpf& b : bad_filters()) {
    SCOPED_TRACE(b.name);
    const std::string f = write(b.name, b.bytes);
    expect_one_line_error({"diff", good, f, "--arch", "x86_64"}, b.needles, false);
    expect_one_line_error({"diff", f, good, "--arch", "x86_64"}, b.needles, false);
  }
}

TEST_F(CliErrors, VerifyBadFilters) {
  const std::string profile = write("p.json", kGoodProfile);
  for (const BadBpf& b : bad_filters()) {
    SCOPED_TRACE(b.name);
    const std::string f = write(b.name, b.bytes);
    expect_one_line_error({"verify", "--profile", profile, "--bpf", f, "--arch", "x86_64"}, b.needles, false);
  }
}

TEST_F(CliErrors, StatsBadFilters) {
  for (const BadBpf& b : bad_filters()) {
    SCOPED_TRACE(b.name);
    const std::string f = write(b.name, b.bytes);
    expect_one_line_error({"stats", "--bpf", f, "--arch", "x86_64", "--svg", path("out.svg")}, b.needles, false);
  }
  for (const std::string& f : listing()) EXPECT_TRUE(f.ends_with(".bpf")) << "left behind: " << f;
}

TEST_F(CliErrors, AuditBadFilters) {
  for (const BadBpf& b : bad_filters()) {
    SCOPED_TRACE(b.name);
    const std::string f = write(b.name, b.bytes);
    expect_one_line_error({"audit", "--bpf", f, "--arch", "x86_64"}, b.needles, true);
  }
}

TEST_F(CliErrors, DisasmBadFilters) {
  for (const BadBpf& b : bad_filters()) {
    if (!b.disasm_rejects) continue;
    SCOPED_TRACE(b.name);
    const std::string f = write(b.name, b.bytes);
    expect_one_line_error({"disasm", f, "--arch", "x86_64"}, b.needles, true);
  }
}

TEST_F(CliErrors, OversizedFilterFiles) {
  // Larger than any filter can be (4096 instructions are 32 KiB): refused by
  // the read limit before decoding.
  const std::string f = write("huge.bpf", std::string(50u << 20, '\0'));
  const std::string profile = write("p.json", kGoodProfile);
  const std::string good = write("good.bpf", good_bpf());
  const std::vector<std::string> commands[] = {
      {"disasm", f},
      {"sim", "--bpf", f, "--arch", "x86_64", "--syscall", "read"},
      {"diff", good, f, "--arch", "x86_64"},
      {"verify", "--profile", profile, "--bpf", f, "--arch", "x86_64"},
      {"stats", "--bpf", f, "--arch", "x86_64"},
      {"audit", "--bpf", f, "--arch", "x86_64"},
  };
  for (const auto& args : commands) expect_rejected(args, {"huge.bpf", "larger than"});
}

TEST_F(CliErrors, FilterOnClosedStdin) {
  expect_rejected({"disasm", "-"}, {"<stdin>"}, closed_stdin());
  expect_rejected({"sim", "--bpf", "-", "--arch", "x86_64", "--syscall", "read"}, {"<stdin>"}, closed_stdin());
}

TEST_F(CliErrors, SimBadInputsFile) {
  const std::string f = write("f.bpf", good_bpf());
  const std::string bad_first = write("bad_first.txt", "frobnicate 0\nread 1 2\n");
  expect_rejected({"sim", "--bpf", f, "--arch", "x86_64", "--inputs", bad_first}, {"bad_first.txt:1:1", "frobnicate"});
  const std::string longline = write("long.txt", std::string(100000, '1'));
  expect_rejected({"sim", "--bpf", f, "--arch", "x86_64", "--inputs", longline}, {"long.txt:1:"});
  const std::string too_many = write("too_many.txt", "read 1 2 3 4 5 6 7 8\n");
  expect_rejected({"sim", "--bpf", f, "--arch", "x86_64", "--inputs", too_many}, {"too_many.txt:1:"});

  // No partial output: the answers to the lines before a bad one are not
  // printed either.
  const std::string bad_second = write("bad_second.txt", "read 1 2\nfrobnicate 0\n");
  const std::vector<std::string> args{"sim", "--bpf", f, "--arch", "x86_64", "--inputs", bad_second};
  const Result r = run(args);
  SCOPED_TRACE(show(args, r));
  EXPECT_EQ(r.exit_code, kExitBadInput);
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1);
  EXPECT_NE(r.err.find("bad_second.txt:2:1"), std::string::npos);
  EXPECT_EQ(r.out, "");
}

// "-" is standard input wherever a file is read: naming it twice would read
// it twice, the second time empty.
TEST_F(CliErrors, StandardInputNamedTwice) {
  expect_rejected({"sim", "--bpf", "-", "--arch", "x86_64", "--inputs", "-"},
                  {"standard input (-) can be read only once, but --bpf and --inputs both name it"});
  expect_rejected({"verify", "--profile", "-", "--bpf", "-", "--arch", "x86_64"},
                  {"standard input (-) can be read only once"});
  expect_rejected({"compile", "-", "--weights", "-"}, {"but the 1st positional argument and --weights both name it"});
  expect_rejected({"diff", "-", "-", "--arch", "x86_64"}, {"but the 1st and 2nd positional arguments both name it"});
  // stats --compare's columns, --bpf NAME=FILE.
  expect_rejected({"stats", "-", "--arch", "x86_64", "--compare", "--bpf", "x=-"},
                  {"standard input (-) can be read only once, but the PROFILE and --bpf x=- both name it"});
  expect_rejected({"stats", "default", "--arch", "x86_64", "--compare", "--bpf", "x=-", "--bpf", "y=-"},
                  {"standard input (-) can be read only once, but --bpf x=- and --bpf y=- both name it"});
}

// An empty item of an --arch list is said to be one, not taken for an
// architecture whose nearest spelling is "sh".
TEST_F(CliErrors, ArchListWithAnEmptyItem) {
  const std::string out = path("x.bpf");
  expect_rejected({"compile", "default", "--arch", "x86_64,", "-o", out},
                  {"invalid --arch \"x86_64,\": item 2 of the list is empty"});
  expect_rejected({"compile", "default", "--arch", ",x86_64", "-o", out},
                  {"invalid --arch \",x86_64\": item 1 of the list is empty"});
  expect_rejected({"compile", "default", "--arch", "", "-o", out}, {"invalid --arch \"\": empty architecture name"});
  EXPECT_TRUE(listing().empty());
}

// An empty output name (an unset variable) is refused by the flag's name
// before anything runs, for every command that writes a file.
TEST_F(CliErrors, EmptyOutputName) {
  const std::string f = write("f.bpf", good_bpf());
  expect_rejected({"compile", "default", "--arch", "x86_64", "-o", ""},
                  {"sysfence: invalid -o \"\": empty file name\n"});
  expect_rejected({"compile", "default", "--arch", "x86_64", "--output="},
                  {"sysfence: invalid --output \"\": empty file name\n"});
  expect_rejected({"asm", "--arch", "x86_64", write("a.s", "ret ALLOW\n"), "-o", ""},
                  {"invalid -o \"\": empty file name"});
  expect_rejected({"stats", "--bpf", f, "--arch", "x86_64", "--svg", ""}, {"invalid --svg \"\": empty file name"});
  expect_rejected({"dump", "--pid", "1", "-o", ""}, {"invalid -o \"\": empty file name"});
  EXPECT_EQ(listing(), (std::vector<std::string>{"a.s", "f.bpf"}));
}

// sim's --args: one to six values; an empty list or item is refused as an
// --arch list's is, not taken for 0 (a trailing comma was silently dropped).
TEST_F(CliErrors, SimArgsWithAnEmptyListOrItem) {
  const std::string f = write("f.bpf", good_bpf());
  const std::vector<std::string> head = {"sim", "--bpf", f, "--arch", "x86_64", "--syscall", "read", "--args"};
  const auto with = [&head](std::string list) {
    std::vector<std::string> args = head;
    args.push_back(std::move(list));
    return args;
  };
  expect_rejected(with(""), {"sysfence: invalid --args \"\": empty list (leave --args out for all zeros)\n"});
  expect_rejected(with(",,,"), {"invalid --args \",,,\": item 1 of the list is empty"});
  expect_rejected(with("1,"), {"invalid --args \"1,\": item 2 of the list is empty"});
  expect_rejected(with("1,,3"), {"invalid --args \"1,,3\": item 2 of the list is empty"});
  expect_rejected(with("1,2,3,4,5,6,7"), {"--args takes at most 6 values"});
  const Result six = run(with("1,2,3,4,5,0x6"));
  EXPECT_EQ(six.exit_code, 0) << six.err;
}

// A syscall name that is not UTF-8 is echoed escaped, as control bytes are.
TEST_F(CliErrors, SimInputsNameThatIsNotUtf8IsEscaped) {
  const std::string f = write("f.bpf", good_bpf());
  const std::string bad = write("bad.txt", "read\xff\n");
  expect_rejected({"sim", "--bpf", f, "--arch", "x86_64", "--inputs", bad},
                  {"bad.txt:1:1", "unknown syscall \"read\\xff\" for x86_64"});
  expect_rejected({"sim", "--bpf", f, "--arch", "x86_64", "--syscall", "\xc0\xafread"},
                  {"unknown syscall \"\\xc0\\xafread\""});
}

// ---------------------------------------------------------------- assembler

TEST_F(CliErrors, AsmBadText) {
  struct Case {
    std::string_view name;
    std::string text;
    std::string needle;
  };
  std::string far = "  if (A == 1) goto far\n";
  for (int i = 0; i < 300; ++i) far += "  A = 0\n";
  far += "far:\n  return ALLOW\n";
  std::string too_long;
  for (int i = 0; i < 5000; ++i) too_long += "  A = 0\n";
  too_long += "  return ALLOW\n";
  std::string garbage;
  for (int i = 0; i < 2000; ++i) garbage.push_back(static_cast<char>((i * 53 + 1) & 0xff));
  const Case cases[] = {
      {"unknown.s", "  A = arch\n  A = banana\n  return ALLOW\n", "unknown.s:2:"},
      {"label.s", "  goto nowhere\n  return ALLOW\n", "unknown.s"},
      {"backward.s", "top:\n  A = arch\n  goto top\n", "backward.s:3:"},
      {"far.s", far, "far.s:1:"},
      {"no_ret.s", "  A = arch\n", "no_ret.s:1:"},
      {"bad_load.s", "  A = data[66]\n  return ALLOW\n", "bad_load.s:1:"},
      {"too_long.s", too_long, "too_long.s"},
      {"empty.s", "", "empty.s"},
      {"garbage.s", garbage, "garbage.s:1:"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string in = write(c.name, c.text);
    std::string needle = c.needle == "unknown.s" ? std::string(c.name) + ":1:" : c.needle;
    expect_rejected({"asm", in, "--arch", "x86_64", "-o", path("out.bpf")}, {needle});
  }
  for (const std::string& f : listing()) EXPECT_TRUE(f.ends_with(".s")) << "left behind: " << f;
}

TEST_F(CliErrors, AsmUnwritableOutputAndClosedStdin) {
  const std::string in = write("ok.s", "  return ALLOW\n");
  expect_rejected({"asm", in, "-o", in + "/out.bpf"}, {"out.bpf"});
  expect_rejected({"asm", "-", "-o", path("out.bpf")}, {"<stdin>"}, closed_stdin());
  EXPECT_EQ(listing(), std::vector<std::string>{"ok.s"});
}

// ------------------------------------------------------------------ resolve

TEST_F(CliErrors, ResolveBadNames) {
  const cli_runner::FailureCase cases[] = {
      {{"resolve", "--arch", "x86_64", "frobnicate"}, kExitBadInput, "frobnicate"},
      {{"resolve", "--arch", "x86_64", "99999"}, kExitBadInput, "99999"},
      {{"resolve", "--arch", "vax", "read"}, kExitBadInput, "vax"},
      {{"resolve", "--arch", "x86_64", std::string(100000, 'a')}, kExitBadInput, "unknown syscall"},
  };
  for (const cli_runner::FailureCase& c : cases) expect_rejected(c.args, {c.err_has}, {}, c.exit_code);
}

}  // namespace
}  // namespace sysfence
