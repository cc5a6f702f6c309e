// socketcall/ipc end to end on the built binary: `audit default` reports
// the i386 socketcall bypass of Docker's socket rules, `explain socket
// --arch x86` says so, and --multiplex is validated like the other shared
// flags (exit 2, one line).
#include <gtest/gtest.h>

#include <string>

#include "test/cli_runner.h"

namespace sysfence {
namespace {

cli_runner::Result run(const std::string& args) { return cli_runner::run_sysfence(cli_runner::words(args)); }

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

TEST(MultiplexCli, AuditDefaultReportsTheI386SocketcallBypass) {
  const auto r = run("audit default --arch x86_64 --kernel 6.18");
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;  // medium: below the default threshold
  EXPECT_TRUE(contains(r.out,
                       "MEDIUM    multiplex-bypass    default:439: syscalls[2]: the argument conditions of "
                       "this socket rule cannot be checked through socketcall(SYS_SOCKET, ...) on i386"))
      << r.out;
  // With libseccomp's rewrite every socket rule is on socketcall: no gap.
  const auto l = run("audit default --arch x86_64 --kernel 6.18 --multiplex libseccomp");
  EXPECT_FALSE(contains(l.out, "multiplex-bypass")) << l.out;
}

TEST(MultiplexCli, ExplainShowsTheMultiplexer) {
  const auto r = run("explain socket --arch x86 --kernel 6.18");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out,
                       "\nthrough socketcall on i386:\n  socket is also reachable as socketcall(SYS_SOCKET = 1, "
                       "args), syscall number 102 (0x66): ALLOW, from default:62 (syscalls[0]).\n"))
      << r.out;
  const auto x = run("explain socket --arch x86_64 --kernel 6.18");
  EXPECT_FALSE(contains(x.out, "through socketcall on x86_64")) << x.out;
}

TEST(MultiplexCli, BadValueIsAUsageError) {
  const auto r = run("compile default --arch i386 --multiplex some");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(contains(r.err, "invalid --multiplex \"some\": expected exact or libseccomp")) << r.err;
  EXPECT_TRUE(r.out.empty());
}

}  // namespace
}  // namespace sysfence
