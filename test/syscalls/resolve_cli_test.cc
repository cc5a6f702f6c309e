// `sysfence resolve` end to end: runs the built binary (a data dependency,
// found through the runfiles tree) and checks output and exit codes.
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "syscalls/arch.h"
#include "syscalls/table.h"

namespace sysfence::syscalls {
namespace {

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string binary() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  return fmt::format("{}/{}/tools/sysfence", srcdir ? srcdir : ".", ws ? ws : "sysfence");
}

std::string drain(int fd) {
  std::string s;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    s.append(buf, static_cast<size_t>(n));
  }
  return s;
}

// stdout and stderr go to temporary files (no pipe deadlock on big output).
Result run(std::vector<std::string> args) {
  args.insert(args.begin(), binary());
  char out_name[] = "/tmp/resolve_out_XXXXXX";
  char err_name[] = "/tmp/resolve_err_XXXXXX";
  int out_fd = ::mkstemp(out_name);
  int err_fd = ::mkstemp(err_name);
  EXPECT_GE(out_fd, 0);
  EXPECT_GE(err_fd, 0);
  ::unlink(out_name);
  ::unlink(err_name);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  ::lseek(out_fd, 0, SEEK_SET);
  ::lseek(err_fd, 0, SEEK_SET);
  r.out = drain(out_fd);
  r.err = drain(err_fd);
  ::close(out_fd);
  ::close(err_fd);
  return r;
}

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
  Result r = run({"resolve", "--arch", "x86_64", "99999"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no syscall number 99999 on x86_64"), std::string::npos) << r.err;
  r = run({"resolve", "--arch", "x86_64", "0x100000000"});
  EXPECT_EQ(r.exit_code, 2);
  r = run({"resolve"});
  EXPECT_EQ(r.exit_code, 2);
  r = run({"resolve", "--list", "read"});
  EXPECT_EQ(r.exit_code, 2);
  r = run({"resolve", "--bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "sysfence: unknown option --bogus\n");
  r = run({"resolve", "--arch"});
  EXPECT_EQ(r.exit_code, 2);
}

}  // namespace
}  // namespace sysfence::syscalls
