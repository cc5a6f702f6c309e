// `sysfence compile` and `sysfence stats` end to end, on the built binary.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "bpf/interp.h"
#include "bpf/raw.h"
#include "compiler/compile.h"
#include "pipeline/pipeline.h"
#include "profile/caps.h"
#include "profile/load.h"
#include "profile/resolve.h"
#include "test/cli_runner.h"

namespace sysfence::compiler {
namespace {

std::string tmp(const std::string& name) { return cli_runner::tmp_path(name); }

std::string slurp(const std::string& path) { return cli_runner::read_file(path); }

// What the tests below read of a run.
struct CliRun {
  int code;
  std::string out;
  std::string err;
};

// `sysfence ARGS`, ARGS split at spaces.
CliRun run(const std::string& args) {
  const cli_runner::Result r = cli_runner::run_sysfence(cli_runner::words(args));
  return {r.exit_code, r.out, r.err};
}

// The same compilation through the libraries.
// The library's program for the default profile: the pipeline every
// command runs (resolution and the target-kernel pass, then the compiler).
bpf::Program library_compile(syscalls::ArchId native) {
  pipeline::Request request;
  request.profile = "default";
  request.resolve.native = native;
  request.resolve.caps = profile::docker_default_caps();
  request.resolve.kernel = {6, 1};
  request.last = pipeline::Stage::kCompile;
  auto built = pipeline::run(request);
  EXPECT_TRUE(built) << (built ? "" : built.error().message);
  return built ? built->compiled->program : bpf::Program{};
}

TEST(CompileCli, RawIsTheLibrarysProgram) {
  const std::string f = tmp("default.bpf");
  const CliRun r = run(fmt::format("compile default --arch x86_64 --kernel 6.1 -o {}", f));
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string bytes = slurp(f);
  auto prog =
      bpf::read_raw(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), Endian::kLittle, f);
  ASSERT_TRUE(prog) << prog.error().message;
  EXPECT_EQ(*prog, library_compile(syscalls::ArchId::kX86_64));
  // Compile defaults: the default profile, the native arch (x86_64 here).
  const CliRun d = run(fmt::format("compile --kernel 6.1 -o {}", tmp("native.bpf")));
  ASSERT_EQ(d.code, 0) << d.err;
  EXPECT_EQ(slurp(tmp("native.bpf")), bytes);
}

TEST(CompileCli, BigEndianRaw) {
  const std::string f = tmp("s390x.bpf");
  ASSERT_EQ(run(fmt::format("compile default --arch s390x --kernel 6.1 -o {}", f)).code, 0);
  const std::string bytes = slurp(f);
  ASSERT_GE(bytes.size(), 8u);
  // The first instruction is `ld [4]`: code 0x0020, k 4, big-endian.
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x00\x20\x00\x00\x00\x00\x00\x04", 8));
  auto prog = bpf::read_raw(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), Endian::kBig, f);
  ASSERT_TRUE(prog);
  EXPECT_EQ(*prog, library_compile(syscalls::ArchId::kS390x));
}

TEST(CompileCli, CHeaderIsSelfContained) {
  const std::string h = tmp("filter.h");
  const CliRun r = run(fmt::format("compile default --arch aarch64 --kernel 6.1 --format c -o {}", h));
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string text = slurp(h);
  EXPECT_NE(text.find("static struct sock_filter sysfence_default[] = {"), std::string::npos);
  EXPECT_NE(text.find("static const struct sock_fprog sysfence_default_prog = {"), std::string::npos);
  EXPECT_NE(text.find(" *   arches:   aarch64, arm (native aarch64)"), std::string::npos) << text.substr(0, 400);
  EXPECT_NE(
      text.find(fmt::format(" *   length:   {} instructions", library_compile(syscalls::ArchId::kAarch64).size())),
      std::string::npos);
  size_t rows = 0;
  for (size_t at = 0; (at = text.find("\n    {0x", at)) != std::string::npos; ++at) ++rows;
  EXPECT_EQ(rows, library_compile(syscalls::ArchId::kAarch64).size());
  // Compiling it, for this ABI and others, is test/pipeline/c_header_cli_test.
  // --name must be a C identifier and no keyword (an array named `int` would not compile).
  for (std::string_view name : {"9lives", "int", "class", "_Bool"}) {
    const CliRun bad = run(fmt::format("compile default --format c --name {} -o {}", name, tmp("x.h")));
    EXPECT_EQ(bad.code, 2) << name;
    EXPECT_EQ(bad.err, fmt::format("sysfence: invalid --name \"{}\": not a C identifier (or a C/C++ keyword)\n", name));
  }
  EXPECT_EQ(run(fmt::format("compile default --format c --name integer -o {}", tmp("x.h"))).code, 0);
}

TEST(CompileCli, TextAndJson) {
  const CliRun t = run("compile default --arch x86_64 --kernel 6.1 --format text");
  ASSERT_EQ(t.code, 0) << t.err;
  EXPECT_TRUE(t.out.starts_with(" line  CODE  JT   JF      K\n")) << t.out.substr(0, 80);
  EXPECT_NE(t.out.find("0000: 0x20 0x00 0x00 0x00000004  A = arch"), std::string::npos);

  const CliRun j = run("compile default --arch x86_64 --kernel 6.1 --format json");
  ASSERT_EQ(j.code, 0) << j.err;
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(j.out, ec);
  ASSERT_FALSE(ec) << ec.message();
  const auto& o = v.as_object();
  EXPECT_EQ(o.at("native").as_string(), "x86_64");
  const auto& arches = o.at("policy").as_object().at("arches").as_array();
  ASSERT_EQ(arches.size(), 3u);
  EXPECT_EQ(arches[0].as_object().at("arch").as_string(), "x86_64");
  const size_t n = library_compile(syscalls::ArchId::kX86_64).size();
  EXPECT_EQ(o.at("program").as_object().at("length").as_int64(), static_cast<int64_t>(n));
  EXPECT_EQ(o.at("program").as_object().at("insns").as_array().size(), n);
  EXPECT_EQ(o.at("report").as_array().size(), 2u);
}

TEST(CompileCli, ANameNoAbiKnowsIsAWarningAndAnErrorWithStrict) {
  const std::string profile = tmp("typo.json");
  {
    std::ofstream f(profile);
    f << "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
         "\"syscalls\": [\n"
         "  {\"names\": [\"read\", \"getrandon\", \"fcntl64\"], \"action\": \"SCMP_ACT_ALLOW\"}]}\n";
  }
  const std::string out = tmp("typo.bpf");
  std::filesystem::remove(out);
  CliRun r = run(fmt::format("compile {} --arch x86_64 --kernel 6.1 -o {}", profile, out));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, fmt::format("sysfence: warning: {}:3:3: unknown syscall \"getrandon\" (no architecture has it; "
                               "did you mean getrandom?)\n",
                               profile));
  EXPECT_TRUE(std::filesystem::exists(out));
  // fcntl64 (i386 only) stays a quiet note, in the JSON output.
  const CliRun j = run(fmt::format("compile {} --arch x86_64 --kernel 6.1 --format json", profile));
  ASSERT_EQ(j.code, 0) << j.err;
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(j.out, ec);
  ASSERT_FALSE(ec) << ec.message();
  const auto& notes = v.as_object().at("notes").as_array();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].as_string(),
            fmt::format("{}: 1 syscall name unknown to x86_64 (SCMP_ARCH_X86_64) skipped: fcntl64", profile));

  std::filesystem::remove(out);
  r = run(fmt::format("compile {} --arch x86_64 --kernel 6.1 --strict -o {}", profile, out));
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, fmt::format("sysfence: {}:3:3: unknown syscall \"getrandon\" (no architecture has it; did you "
                               "mean getrandom?) (--strict)\n",
                               profile));
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(CompileCli, ErrorsLeaveNoFile) {
  const std::string f = tmp("never.bpf");
  std::filesystem::remove(f);
  struct Case {
    std::string args;
    std::string err;  // the whole of stderr; "" when not checked
  };
  const Case cases[] = {
      {fmt::format("compile /nonexistent/profile.json -o {}", f), ""},
      {fmt::format("compile default --arch x86_64,arm --kernel 6.1 -o {}", f),
       "sysfence: arm is not an architecture of this filter (it has x86_64, i386, x32)\n"},
      {fmt::format("compile default --weights /nonexistent/w.txt -o {}", f), ""},
      {"compile default --format elf", "sysfence: invalid --format \"elf\": expected raw, c, text or json\n"},
      {"compile default --strategy fastest", ""},
      {"compile a.json b.json", ""},
  };
  for (const Case& c : cases) {
    const CliRun r = run(c.args);
    EXPECT_EQ(r.code, 2) << c.args;
    if (!c.err.empty()) {
      EXPECT_EQ(r.err, c.err) << c.args;
    }
    EXPECT_FALSE(std::filesystem::exists(f)) << c.args;
  }
}

TEST(CompileCli, StrategiesWeightsAndUnknownSyscalls) {
  std::map<std::string, std::string> out;
  for (const char* flags : {"", "--strategy linear", "--strategy balanced", "--weights hot",
                            "--unknown-syscalls default", "--arch x86_64,i386"}) {
    const std::string f = tmp("v.bpf");
    const std::string arch = std::string_view(flags).starts_with("--arch") ? "" : "--arch x86_64";
    const CliRun r = run(fmt::format("compile default {} --kernel 6.1 {} -o {}", arch, flags, f));
    ASSERT_EQ(r.code, 0) << flags << ": " << r.err;
    out[flags] = slurp(f);
    auto prog = bpf::read_raw(std::span(reinterpret_cast<const uint8_t*>(out[flags].data()), out[flags].size()),
                              Endian::kLittle, f);
    ASSERT_TRUE(prog);
    EXPECT_TRUE(bpf::Interpreter::create(*prog)) << flags;
  }
  for (const auto& [k, v] : out) {
    if (!k.empty()) {
      EXPECT_NE(v, out[""]) << k;
    }
  }
  // A weights file.
  const std::string w = tmp("w.txt");
  std::ofstream(w) << "futex 1000\nread 10\n";
  EXPECT_EQ(run(fmt::format("compile default --weights {} -o {}", w, tmp("w.bpf"))).code, 0);
}

// A typo in a weights file is said on stderr by both commands that read
// one; the filter is written all the same.
TEST(CompileCli, WeightsFileUnknownNamesAreWarnings) {
  const std::string w = tmp("typo-weights.txt");
  std::ofstream(w) << "read 10\nfutx 1000\n";
  const std::string warning = fmt::format(
      "sysfence: warning: {}:2:1: unknown syscall \"futx\" (no architecture has it; did you mean futex?); its count is "
      "ignored\n",
      w);
  const CliRun compiled = run(fmt::format("compile default --arch x86_64 --weights {} -o {}", w, tmp("typo.bpf")));
  EXPECT_EQ(compiled.code, 0) << compiled.err;
  EXPECT_EQ(compiled.err, warning);
  const CliRun stats = run(fmt::format("stats --bpf {} --arch x86_64 --weights {}", tmp("typo.bpf"), w));
  EXPECT_EQ(stats.code, 0) << stats.err;
  EXPECT_EQ(stats.err, warning);
}

// strace -c's output as it is weighs as its two-column reduction (made by
// awk) and shapes the tree (unlike uniform weights).
TEST(CompileCli, WeightsFromStraceOutput) {
  const std::string dir = cli_runner::runfile("test/compiler/testdata/strace/");
  std::map<std::string, std::string> out;
  for (const char* weights : {"ls-c.txt", "ls-c.name-count.txt", "uniform"}) {
    const std::string spec = std::string_view(weights) == "uniform" ? "uniform" : dir + weights;
    const std::string f = tmp(std::string("strace-") + weights + ".bpf");
    const CliRun r = run(fmt::format("compile default --arch x86_64 --kernel 6.1 --weights {} -o {}", spec, f));
    ASSERT_EQ(r.code, 0) << weights << ": " << r.err;
    out[weights] = slurp(f);
  }
  EXPECT_EQ(out["ls-c.txt"], out["ls-c.name-count.txt"]);
  EXPECT_NE(out["ls-c.txt"], out["uniform"]);
  const CliRun bad = run(fmt::format("compile default --weights {} -o {}", dir + "../skip.json", tmp("x.bpf")));
  EXPECT_EQ(bad.code, 2) << bad.err;
  EXPECT_EQ(bad.out, "");
}

TEST(StatsCli, ProfileAndForeignProgram) {
  CliRun r = run("stats default --arch x86_64 --kernel 6.1 --range 0-450");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("x86_64 (arch 0xc000003e), nr 0..450 (451 numbers, arguments 0):"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("kernel action cache:"), std::string::npos);
  EXPECT_NE(r.out.find("compiler model (optimal strategy, uniform weights):"), std::string::npos);

  const std::string f = tmp("stats.bpf");
  const std::string svg = tmp("chart.svg");
  ASSERT_EQ(run(fmt::format("compile default --arch x86_64 --kernel 6.1 -o {}", f)).code, 0);
  r = run(fmt::format("stats --bpf {} --arch x86_64 --weights hot --svg {}", f, svg));
  ASSERT_EQ(r.code, 0) << r.err;
  // The ABIs are found in the program itself: x86_64, i386, x32.
  EXPECT_NE(r.out.find("\nx86_64 (arch"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\ni386 (arch"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\nx32 (arch"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("weighted (hot):"), std::string::npos);
  const std::string chart = slurp(svg);
  EXPECT_TRUE(chart.starts_with("<svg")) << chart.substr(0, 40);
  EXPECT_TRUE(chart.ends_with("</svg>\n"));

  // A truncated file is an error with its byte offset.
  std::ofstream(tmp("bad.bpf"), std::ios::binary) << "0123456789";
  r = run(fmt::format("stats --bpf {} --arch x86_64", tmp("bad.bpf")));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("byte offset 8"), std::string::npos) << r.err;
  r = run("stats default --range 9-3");
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err, "sysfence: invalid --range \"9-3\": expected LO-HI such as 0-450\n");
}

// libseccomp's program for these rules (ppc64le, --semantics libseccomp)
// compares stale and masked words: read back, sigpending's rules split into
// many pieces, whose chain of single rules alone passes the kernel's 4096
// instructions. The diagram attempts bounded by that chain's work are all
// cut short, so the compiler must try them again unbounded: a diagram fits
// (found by the libseccomp differential test).
TEST(CompileCli, ArgumentRulesTooBigAsAChainStillFitAsADiagram) {
  const std::string profile = tmp("chain-too-big.json");
  cli_runner::write_file(profile, R"json({
  "defaultAction": "SCMP_ACT_TRACE",
  "defaultErrnoRet": 2,
  "syscalls": [
    {"names": ["msync", "lstat", "lremovexattr", "sigpending"], "action": "SCMP_ACT_KILL", "args": [{"index": 2, "value": 4294967295, "valueTwo": 2, "op": "SCMP_CMP_MASKED_EQ"}, {"index": 0, "value": 4294901760, "valueTwo": 1167261696, "op": "SCMP_CMP_MASKED_EQ"}, {"index": 5, "value": 2, "valueTwo": 0, "op": "SCMP_CMP_LE"}], "excludes": {"arches": ["s390"]}},
    {"names": ["sigpending", "msync"], "action": "SCMP_ACT_TRACE", "args": [{"index": 4, "value": 11445783465432457043, "valueTwo": 0, "op": "SCMP_CMP_NE"}, {"index": 2, "value": 4294901760, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
    {"names": ["sigpending", "pwritev"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 1, "valueTwo": 4294967296, "op": "SCMP_CMP_GT"}]},
    {"names": ["timer_create", "msync", "pwritev", "sync_file_range2"], "action": "SCMP_ACT_TRAP", "args": [{"index": 2, "value": 3, "valueTwo": 0, "op": "SCMP_CMP_NE"}]}
  ]
})json");
  const std::string out = tmp("chain-too-big.bpf");
  const CliRun r =
      run(fmt::format("compile {} --arch ppc64le --kernel 6.1 --semantics libseccomp -o {}", profile, out));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("4096"), std::string::npos) << r.err;
  const std::string program = slurp(out);
  EXPECT_GT(program.size(), 0u);
  EXPECT_LE(program.size(), 4096u * 8);
}

// A proof that cannot be made is no difference found, and no compiler bug:
// 4,101 rules on ioctl, all but one redundant (arg0 == 5, and arg0 == 5 with
// each of 4,100 values of arg1, all ALLOW), compile to a few instructions
// but are more distinct rules than the proof takes. Nothing is written,
// exit 1, and the message says how to write the program unproved.
TEST(CompileCli, UnprovedProgramIsNotCalledABug) {
  std::string text =
      R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [)"
      R"({"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 5, "op": "SCMP_CMP_EQ"}]})";
  for (int i = 0; i < 4100; ++i) {
    text +=
        fmt::format(R"(, {{"names": ["ioctl"], "action": "SCMP_ACT_ALLOW", "args": [{{"index": 0, "value": 5, "op": )"
                    R"("SCMP_CMP_EQ"}}, {{"index": 1, "value": {}, "op": "SCMP_CMP_EQ"}}]}})",
                    i);
  }
  text += "]}\n";
  const std::string profile = tmp("redundant.json");
  cli_runner::write_file(profile, text);
  const std::string out = tmp("redundant.bpf");
  std::filesystem::remove(out);
  const CliRun r = run(fmt::format("compile {} --arch x86_64 -o {}", profile, out));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("is not proved equal to its policy, and no difference was found"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--no-verify writes the program unproved"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("more than 4096 distinct rules"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("compiler bug"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
  const CliRun unproved = run(fmt::format("compile {} --arch x86_64 --no-verify -o {}", profile, out));
  EXPECT_EQ(unproved.code, 0) << unproved.err;
  const std::string program = slurp(out);
  EXPECT_GT(program.size(), 0u);
  EXPECT_EQ(program.size() % 8, 0u);
}

}  // namespace
}  // namespace sysfence::compiler
