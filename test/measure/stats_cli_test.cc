// `sysfence stats` end to end, on the built binary: the calls the target
// kernel lets through without running any filter.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

#include "test/cli_runner.h"

namespace {

namespace cli_runner = sysfence::cli_runner;

// A profile that kills x86_64's uretprobe and uprobe and allows the rest.
constexpr std::string_view kDeniesProbes =
    R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [{"names": ["uretprobe", "uprobe"], "action": "SCMP_ACT_KILL_PROCESS"}]})";

// The "kernel_exempt" list of the x86_64 ABI of `stats ... --format json`.
boost::json::array exempt_calls(const std::string& args) {
  const cli_runner::Result r = cli_runner::run_sysfence(cli_runner::words(args));
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  const boost::json::value doc = boost::json::parse(r.out);
  for (const boost::json::value& abi : doc.at("abis").as_array()) {
    if (abi.at("abi").as_string() == "x86_64") return abi.at("kernel_exempt").as_array();
  }
  ADD_FAILURE() << "no x86_64 in " << r.out;
  return {};
}

TEST(StatsCli, CallsTheKernelNeverFiltersAreListedWithTheFiltersAnswer) {
  const std::string profile = cli_runner::tmp_path("denies-probes.json");
  cli_runner::write_file(profile, kDeniesProbes);
  const std::string filter = cli_runner::tmp_path("denies-probes.bpf");
  const cli_runner::Result compiled = cli_runner::run_sysfence(
      cli_runner::words(fmt::format("compile {} --arch x86_64 --kernel 6.18 --format raw -o {}", profile, filter)));
  ASSERT_EQ(compiled.exit_code, 0) << compiled.describe();

  EXPECT_TRUE(exempt_calls(fmt::format("stats --bpf {} --arch x86_64 --kernel 6.11 --format json", filter)).empty());
  const boost::json::array calls =
      exempt_calls(fmt::format("stats --bpf {} --arch x86_64 --kernel 6.18 --format json", filter));
  ASSERT_EQ(calls.size(), 2u) << boost::json::serialize(calls);
  EXPECT_EQ(calls[0].at("call").as_string(), "uretprobe");
  EXPECT_EQ(calls[0].at("nr").as_int64(), 335);
  EXPECT_EQ(calls[0].at("since").as_string(), "6.12");
  EXPECT_EQ(calls[0].at("filters_action").at("name").as_string(), "KILL_PROCESS");
  EXPECT_GT(calls[0].at("filters_insns").as_int64(), 0);
  EXPECT_EQ(calls[1].at("call").as_string(), "uprobe");
  // A PROFILE is measured for the same kernel.
  EXPECT_EQ(exempt_calls(fmt::format("stats {} --arch x86_64 --kernel 6.12 --format json", profile)).size(), 1u);

  const cli_runner::Result text =
      cli_runner::run_sysfence(cli_runner::words(fmt::format("stats --bpf {} --arch x86_64 --kernel 6.18", filter)));
  ASSERT_EQ(text.exit_code, 0) << text.describe();
  EXPECT_NE(text.out.find("kernel-exempt:          uprobe (nr 336) from Linux 6.18: the kernel runs no filter"),
            std::string::npos)
      << text.out;
}

}  // namespace
