// `sysfence resolve` end to end: runs the built binary (a data dependency,
// found through the runfiles tree) and checks output and exit codes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "syscalls/arch.h"
#include "syscalls/table.h"
#include "test/cli_runner.h"

namespace sysfence::syscalls {
namespace {

using cli_runner::Result;

Result run(const std::vector<std::string>& args) { return cli_runner::run_sysfence(args); }

TEST(ResolveCli, ListsEveryAbiInNumberOrder) {
  for (const auto& a : all_arches()) {
    for (std::string_view spelling : {a.name, a.scmp_name}) {
      SCOPED_TRACE(std::string(spelling));
      Result r = run({"resolve", "--arch", std::string(spelling), "--list"});
      ASSERT_EQ(r.exit_code, 0) << r.err;
      EXPECT_EQ(r.err, "");
      std::string expected;
      for (const auto& s : table(a).entries()) expected += fmt::format("{}\t{}\n", s.name, s.nr);
      EXPECT_EQ(r.out, expected);
      // Independent of the table: strictly increasing numbers, one per line.
      std::istringstream in(r.out);
      std::string name;
      uint64_t nr = 0;
      uint64_t prev = 0;
      size_t lines = 0;
      while (in >> name >> nr) {
        if (lines++ > 0) {
          EXPECT_GT(nr, prev) << name;
        }
        prev = nr;
      }
      EXPECT_EQ(lines, table(a).size());
    }
  }
}

TEST(ResolveCli, NamesAndNumbers) {
  Result r = run({"resolve", "--arch", "x86_64", "read", "openat", "0x3c", "59"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "read\t0\nopenat\t257\nexit\t60\nexecve\t59\n");

  r = run({"resolve", "--arch", "SCMP_ARCH_X86", "socketcall"});
  EXPECT_EQ(r.out, "socketcall\t102\n");
  r = run({"resolve", "--arch=arm64", "openat"});
  EXPECT_EQ(r.out, "openat\t56\n");
  r = run({"resolve", "--arch", "mipsle", "read", "4003"});
  EXPECT_EQ(r.out, "read\t4003\nread\t4003\n");
  r = run({"resolve", "--arch", "x32", "read"});
  EXPECT_EQ(r.out, "read\t1073741824\n");  // 0x40000000
  r = run({"resolve", "--arch", "arm", "set_tls", "sync_file_range2", "0x0f0002"});
  EXPECT_EQ(r.out, "set_tls\t983045\nsync_file_range2\t341\ncacheflush\t983042\n");
}

TEST(ResolveCli, NativeIsTheDefault) {
  Result def = run({"resolve", "read", "write"});
  Result nat = run({"resolve", "--arch", "native", "read", "write"});
  ASSERT_EQ(def.exit_code, 0) << def.err;
  EXPECT_EQ(def.out, nat.out);
#if defined(__x86_64__) && !defined(__ILP32__)
  EXPECT_EQ(def.out, "read\t0\nwrite\t1\n");
#endif
}

TEST(ResolveCli, UnknownArchExits2WithSuggestion) {
  Result r = run({"resolve", "--arch", "aarch46", "read"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "sysfence: unknown architecture \"aarch46\" (did you mean \"aarch64\"?)\n");
}

TEST(ResolveCli, UnknownSyscallExits2WithSuggestion) {
  Result r = run({"resolve", "--arch", "x86_64", "read", "opnat"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");  // nothing printed before the error
  EXPECT_EQ(r.err, "sysfence: unknown syscall \"opnat\" on x86_64 (did you mean \"openat\"?)\n");
  r = run({"resolve", "--arch", "aarch64", "open"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean"), std::string::npos);
}

TEST(ResolveCli, NoSuggestionForAFarName) {
  // 14 letters allow 5 edits; no syscall name is that near.
  Result r = run({"resolve", "--arch", "x86_64", "zzzzzzzzzzzzzz"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "sysfence: unknown syscall \"zzzzzzzzzzzzzz\" on x86_64\n");
}

TEST(ResolveCli, BadNumbersAndUsage) {
  const cli_runner::FailureCase cases[] = {
      {{"resolve", "--arch", "x86_64", "99999"}, 2, "no syscall number 99999 on x86_64"},
      {{"resolve", "--arch", "x86_64", "0x100000000"}, 2, ""},
      {{"resolve"}, 2, ""},
      {{"resolve", "--list", "read"}, 2, ""},
      {{"resolve", "--bogus"}, 2, "sysfence: unknown option --bogus\n"},
      {{"resolve", "--arch"}, 2, ""},
  };
  for (const cli_runner::FailureCase& c : cases) cli_runner::expect_failure(c);
  EXPECT_EQ(run({"resolve", "--bogus"}).err, "sysfence: unknown option --bogus\n");  // the whole message
}

}  // namespace
}  // namespace sysfence::syscalls
