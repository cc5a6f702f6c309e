// `sysfence stats --compare` end to end, on the built binary.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace {

std::string tmp(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

std::string binary() {
  const char* dir = std::getenv("TEST_SRCDIR");
  return std::string(dir != nullptr ? dir : ".") + "/sysfence/tools/sysfence";
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun run(const std::string& args) {
  const std::string out = tmp("out.txt");
  const std::string err = tmp("err.txt");
  const int status = std::system(fmt::format("{} {} >{} 2>{}", binary(), args, out, err).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

TEST(StatsCompareCli, PrintsTheTableAndWritesTheChart) {
  const std::string svg = tmp("compare.svg");
  const CliRun r = run(fmt::format("stats default --arch aarch64 --kernel 6.1 --compare --svg {}", svg));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("program length"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("aarch64 (arch 0xc00000b7)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("arm (arch 0x40000028)"), std::string::npos) << r.out;
  const std::string chart = slurp(svg);
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
