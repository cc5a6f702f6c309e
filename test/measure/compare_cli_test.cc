// `sysfence stats --compare` end to end, on the built binary.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <sstream>
#include <string>
#include <vector>

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

TEST(StatsCompareCli, RefusesBpfWithoutProfileAndStrategy) {
  const CliRun bpf = run(fmt::format("stats --bpf {} --compare", tmp("none.bpf")));
  EXPECT_EQ(bpf.code, 2);
  EXPECT_NE(bpf.err.find("--compare compiles a PROFILE"), std::string::npos) << bpf.err;
  const CliRun strategy = run("stats default --strategy linear --compare");
  EXPECT_EQ(strategy.code, 2);
  EXPECT_NE(strategy.err.find("takes no --strategy"), std::string::npos) << strategy.err;
  // A bad --svg path: exit 2, and the table still printed before it.
  const CliRun bad = run("stats default --compare --svg /nonexistent-dir/x.svg");
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("/nonexistent-dir/x.svg"), std::string::npos) << bad.err;
}

// The table's header row names the columns; each later row's last N fields
// are its cells.
std::map<std::string, std::vector<std::string>> columns(const std::string& table) {
  std::istringstream in(table);
  std::vector<std::string> names;
  std::map<std::string, std::vector<std::string>> out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    if (names.empty() && !f.empty() && f[0] == "optimal") {
      names = f;
      continue;
    }
    if (names.empty() || f.size() <= names.size()) continue;
    // Rows of numbers only (not the ABI headings or the bound's sentence).
    bool numbers = true;
    for (size_t k = f.size() - names.size(); k < f.size(); ++k) numbers = numbers && std::isdigit(f[k][0]);
    if (!numbers) continue;
    for (size_t k = 0; k < names.size(); ++k) out[names[k]].push_back(f[f.size() - names.size() + k]);
  }
  return out;
}

// Filters built elsewhere sit in the same table: sysfence's own linear and
// balanced programs, given as external files, measure exactly as the
// strategies' columns do; a filter with other answers says how many differ.
TEST(StatsCompareCli, ExternalFiltersAreColumnsLikeTheStrategies) {
  const std::string lin = tmp("ext-linear.bpf");
  const std::string bal = tmp("ext-balanced.bpf");
  const std::string flags = "--arch x86_64 --kernel 6.1";
  ASSERT_EQ(run(fmt::format("compile default {} --strategy linear -o {}", flags, lin)).code, 0);
  ASSERT_EQ(run(fmt::format("compile default {} --strategy balanced -o {}", flags, bal)).code, 0);
  const std::string allow_all = tmp("allow-all.bpf");
  const std::string src = tmp("allow-all.s");
  cli_runner::write_file(src, "return ALLOW\n");
  ASSERT_EQ(run(fmt::format("asm {} --arch x86_64 -o {}", src, allow_all)).code, 0);

  const std::string svg = tmp("ext.svg");
  const CliRun r = run(fmt::format("stats default {} --compare --bpf lin={} --bpf bal={} --bpf everything={} --svg {}",
                                   flags, lin, bal, allow_all, svg));
  ASSERT_EQ(r.code, 0) << r.err;
  auto cols = columns(r.out);
  ASSERT_EQ(cols.size(), 6u) << r.out;
  EXPECT_EQ(cols["lin"], cols["linear"]) << r.out;
  EXPECT_EQ(cols["bal"], cols["balanced"]) << r.out;
  EXPECT_NE(cols["everything"], cols["optimal"]) << r.out;
  // The allow-all filter is one instruction, and answers ALLOW where the
  // profile denies: nonzero in the "answers unlike optimal's" row.
  EXPECT_EQ(cols["everything"].front(), "1") << r.out;
  const size_t row = r.out.find("  answers unlike optimal's");
  ASSERT_NE(row, std::string::npos) << r.out;
  const std::string line = r.out.substr(row, r.out.find('\n', row) - row);
  EXPECT_NE(line.substr(line.rfind(' ') + 1), "0") << line;
  const std::string chart = cli_runner::read_file(svg);
  EXPECT_NE(chart.find(">everything: 1 insns"), std::string::npos);
  EXPECT_NE(chart.find("and 3 filters built elsewhere"), std::string::npos);
}

TEST(StatsCompareCli, ExternalFilterErrors) {
  const std::string lin = tmp("err-linear.bpf");
  ASSERT_EQ(run(fmt::format("compile default --arch x86_64 --kernel 6.1 -o {}", lin)).code, 0);
  const std::string base = "stats default --arch x86_64 --kernel 6.1 --compare ";
  const std::pair<std::string, std::string> cases[] = {
      {base + "--bpf " + lin, "name each filter: --bpf NAME=FILE"},
      {base + "--bpf =" + lin, "name each filter"},
      {base + "--bpf a=" + lin + " --bpf a=" + lin, "the name \"a\" is given twice"},
      {base + "--bpf a=/nonexistent/x.bpf", "/nonexistent/x.bpf"},
      // Without --compare, repeated --bpf is a filter stack: each file must be readable.
      {"stats --bpf " + lin + " --bpf /nonexistent/y.bpf", "/nonexistent/y.bpf"},
  };
  for (const auto& [args, message] : cases) {
    const CliRun r = run(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_EQ(r.out, "") << args;
    EXPECT_NE(r.err.find(message), std::string::npos) << args << "\n" << r.err;
  }
  // ... and a stack of two readable filters is measured as one.
  const CliRun stack = run("stats --arch x86_64 --bpf " + lin + " --bpf " + lin);
  EXPECT_EQ(stack.code, 0) << stack.err;
  EXPECT_EQ(stack.out.rfind("stack: 2 filters, ", 0), 0U) << stack.out;
}

}  // namespace
