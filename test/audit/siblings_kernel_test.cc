// The routes around Docker's documented example profile in the real kernel:
// under the filter compiled from it (forked children only), chmod(2) fails
// with EPERM while fchmodat(AT_FDCWD, ...) changes the mode, and fsopen gets
// what it gets without the filter (the filter never answers it). A copy of
// the filter whose every ERRNO answer is renamed to 999 (run/rewrite.h: same
// decision paths, another verdict) tells the filter's EPERM from the
// kernel's own, so the fsopen result means the same when run unprivileged.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/filter.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>

#include "compiler/compile.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "run/rewrite.h"
#include "test/bpf/kernel_child.h"
#include "test/cli_runner.h"

namespace sysfence {
namespace {

using bpf::testing::run_in_child;
using bpf::testing::Shared;

constexpr uint16_t kRenamedErrno = 999;

bpf::Program example_filter() {
  const std::string path = cli_runner::runfile("test/audit/data/docker-doc-example.json");
  auto read = profile::read_profile(cli_runner::read_file(path), path);
  EXPECT_TRUE(read) << read.error().message;
  profile::ResolveOptions o;
  o.native = syscalls::ArchId::kX86_64;
  o.kernel = {6, 18};
  auto r = profile::resolve(read->profile, o);
  EXPECT_TRUE(r) << r.error().message;
  auto c = compiler::compile(r->policy, {});
  EXPECT_TRUE(c) << c.error().message;
  return c ? c->program : bpf::Program{};
}

bpf::Program renamed(const bpf::Program& prog) {
  auto m = run::map_returns(
      prog, [](uint32_t k) { return decode(k).kind == ActionKind::kErrno ? encode(Action::Errno(kRenamedErrno)) : k; });
  EXPECT_TRUE(m) << m.error().message;
  return m ? *m : bpf::Program{};
}

struct Results {
  std::atomic<int32_t> installed{-1};
  std::atomic<int64_t> chmod{1};
  std::atomic<int64_t> fchmodat{1};
  std::atomic<int64_t> fsopen{1};
};

// chmod, fchmodat and fsopen in a forked child, under `prog` when given;
// each result as the raw syscall returns it (-errno on failure).
void run_calls(const bpf::Program* prog, const std::string& file, Results& out) {
  const auto status = run_in_child([&] {
    if (prog != nullptr) {
      prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
      sock_fprog fprog{static_cast<unsigned short>(prog->size()),
                       reinterpret_cast<sock_filter*>(const_cast<bpf::Insn*>(prog->data()))};
      if (syscall(SYS_seccomp, 1 /* SECCOMP_SET_MODE_FILTER */, 0, &fprog) != 0) {
        out.installed.store(errno);
        return;
      }
    }
    out.installed.store(0);
    auto raw = [](long r) { return r < 0 ? -static_cast<int64_t>(errno) : static_cast<int64_t>(r); };
    out.chmod.store(raw(syscall(SYS_chmod, file.c_str(), 0600)));
    out.fchmodat.store(raw(syscall(SYS_fchmodat, AT_FDCWD, file.c_str(), 0640)));
    out.fsopen.store(raw(syscall(SYS_fsopen, "tmpfs", 0)));
  });
  EXPECT_TRUE(status.exited && status.exit_code == 0) << status.describe();
  EXPECT_EQ(out.installed.load(), 0);
}

mode_t mode_of(const std::string& file) {
  struct stat st {};
  EXPECT_EQ(stat(file.c_str(), &st), 0);
  return st.st_mode & 07777;
}

TEST(SiblingsKernel, ChmodIsDeniedButFchmodatChangesTheMode) {
  const std::string file = cli_runner::tmp_path("sibling-file");
  cli_runner::write_file(file, "x");
  ASSERT_EQ(chmod(file.c_str(), 0644), 0);
  const bpf::Program prog = example_filter();
  Shared<Results> r;
  run_calls(&prog, file, *r);
  EXPECT_EQ(r->chmod.load(), -EPERM);
  EXPECT_EQ(r->fchmodat.load(), 0);
  EXPECT_EQ(mode_of(file), 0640U);  // the route worked: the mode changed

  // The renamed copy shows the EPERM was the filter's, and fchmodat's answer not.
  const bpf::Program marked = renamed(prog);
  Shared<Results> m;
  run_calls(&marked, file, *m);
  EXPECT_EQ(m->chmod.load(), -kRenamedErrno);
  EXPECT_NE(m->fchmodat.load(), -kRenamedErrno);
}

TEST(SiblingsKernel, FsopenIsNotDeniedByTheFilter) {
  const std::string file = cli_runner::tmp_path("sibling-file-2");
  cli_runner::write_file(file, "x");
  Shared<Results> bare;
  run_calls(nullptr, file, *bare);
  if (bare->fsopen.load() == -ENOSYS) GTEST_SKIP() << "this kernel has no fsopen";
  const bpf::Program marked = renamed(example_filter());
  Shared<Results> m;
  run_calls(&marked, file, *m);
  EXPECT_NE(m->fsopen.load(), -kRenamedErrno);
  // As root: a filesystem context fd, as without the filter.
  EXPECT_EQ(m->fsopen.load() >= 0, bare->fsopen.load() >= 0) << m->fsopen.load() << " vs " << bare->fsopen.load();
  if (bare->fsopen.load() < 0) {
    EXPECT_EQ(m->fsopen.load(), bare->fsopen.load());
  }
}

}  // namespace
}  // namespace sysfence
