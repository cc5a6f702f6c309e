// `sysfence stats --compare` end to end, on the built binary.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

#include "test/cli_runner.h"

namespace {

namespace cli_runner = sysfence::cli_runner;

std::string tmp(const std::string& name) { return cli_runner::tmp_path(name); }

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

TEST(StatsCompareCli, PrintsTheTableAndWritesTheChart) {
  const std::string svg = tmp("compare.svg");
  const CliRun r = run(fmt::format("stats default --arch aarch64 --kernel 6.1 --compare --svg {}", svg));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("program length"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("aarch64 (arch 0xc00000b7)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("arm (arch 0x40000028)"), std::string::npos) << r.out;
  const std::string chart = cli_runner::read_file(svg);
  EXPECT_EQ(chart.rfind("<svg", 0), 0u);
  EXPECT_NE(chart.find("default: instructions executed per syscall, by strategy"), std::string::npos);
}

TEST(StatsCompareCli, HotWeightsAreWhatTheOptimalTreeIsBuiltFor) {
  const CliRun r = run("stats default --arch x86_64 --kernel 6.1 --weights hot --compare");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("optimal tree built for hot weights"), std::string::npos) << r.out;
}

TEST(StatsCompareCli, RefusesBpfAndStrategy) {
  const CliRun bpf = run(fmt::format("stats --bpf {} --compare", tmp("none.bpf")));
  EXPECT_EQ(bpf.code, 2);
  EXPECT_NE(bpf.err.find("--compare compiles a PROFILE"), std::string::npos) << bpf.err;
  const CliRun strategy = run("stats default --strategy linear --compare");
  EXPECT_EQ(strategy.code, 2);
  EXPECT_NE(strategy.err.find("neither --bpf nor --strategy"), std::string::npos) << strategy.err;
  // A bad --svg path: exit 2, and the table still printed before it.
  const CliRun bad = run("stats default --compare --svg /nonexistent-dir/x.svg");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("/nonexistent-dir/x.svg"), std::string::npos) << bad.err;
}

}  // namespace
