// cli::write_output on the real filesystem, each case in its own directory:
// what it replaces, what it writes through, and what an error leaves behind.
#include "tools/cli/output.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace sysfence::cli {
namespace {

class WriteOutput : public testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    dir_ = std::string(tmp != nullptr ? tmp : "/tmp") + "/" +
           testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_EQ(::mkdir(dir_.c_str(), 0755), 0) << dir_ << ": " << std::strerror(errno);
  }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  std::vector<std::string> listing() const {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir_.c_str());
    if (d == nullptr) return names;
    while (const dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string dir_;
};

std::string read_file(const std::string& p) {
  std::string s;
  const int fd = ::open(p.c_str(), O_RDONLY);
  if (fd < 0) return "<cannot open " + p + ">";
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) s.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return s;
}

void create_file(const std::string& p, const std::string& text, mode_t mode) {
  const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ASSERT_GE(fd, 0) << p;
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  ASSERT_EQ(::fchmod(fd, mode), 0);
  ::close(fd);
}

struct stat stat_of(const std::string& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p << ": " << std::strerror(errno);
  return st;
}

struct stat lstat_of(const std::string& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0) << p << ": " << std::strerror(errno);
  return st;
}

// Sets the umask for one scope.
class Umask {
 public:
  explicit Umask(mode_t m) : old_(::umask(m)) {}
  ~Umask() { ::umask(old_); }
  Umask(const Umask&) = delete;
  Umask& operator=(const Umask&) = delete;

 private:
  mode_t old_;
};

TEST_F(WriteOutput, NewFileGetsTheUsualModeUnderTheUmask) {
  {
    const Umask mask(022);
    ASSERT_TRUE(write_output(path("a"), std::string_view("one\n")));
  }
  {
    const Umask mask(027);
    ASSERT_TRUE(write_output(path("b"), std::string_view("two\n")));
  }
  EXPECT_EQ(stat_of(path("a")).st_mode & 07777, 0644u);
  EXPECT_EQ(stat_of(path("b")).st_mode & 07777, 0640u);
  EXPECT_EQ(read_file(path("a")), "one\n");
  EXPECT_EQ(listing(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(WriteOutput, ExistingFileKeepsItsModeAndIsReplacedAtomically) {
  create_file(path("f"), "old contents, longer than the new ones\n", 0640);
  const ino_t old_inode = stat_of(path("f")).st_ino;
  const Umask mask(0);  // a new file would be 0666
  ASSERT_TRUE(write_output(path("f"), std::string_view("new\n")));
  const struct stat st = stat_of(path("f"));
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  // A rename put a new inode in place; writing in place would keep the old one
  // and could leave a half-written file behind.
  EXPECT_NE(st.st_ino, old_inode);
  EXPECT_EQ(read_file(path("f")), "new\n");
  EXPECT_EQ(listing(), std::vector<std::string>{"f"});
}

TEST_F(WriteOutput, ExistingFileKeepsItsOwner) {
  if (::geteuid() != 0) GTEST_SKIP() << "giving a file to another owner needs root";
  create_file(path("f"), "old\n", 0604);
  ASSERT_EQ(::chown(path("f").c_str(), 4321, 8765), 0) << std::strerror(errno);
  ASSERT_TRUE(write_output(path("f"), std::string_view("new\n")));
  const struct stat st = stat_of(path("f"));
  EXPECT_EQ(st.st_uid, 4321u);
  EXPECT_EQ(st.st_gid, 8765u);
  EXPECT_EQ(st.st_mode & 07777, 0604u);
  EXPECT_EQ(read_file(path("f")), "new\n");
}

TEST_F(WriteOutput, SymlinkStaysALinkAndItsTargetIsUpdated) {
  ASSERT_EQ(::mkdir(path("sub").c_str(), 0755), 0);
  create_file(path("sub/target"), "old\n", 0600);
  // A relative link to a relative link: each resolves against its own directory.
  ASSERT_EQ(::symlink("target", path("sub/inner").c_str()), 0);
  ASSERT_EQ(::symlink("sub/inner", path("outer").c_str()), 0);
  ASSERT_TRUE(write_output(path("outer"), std::string_view("new\n")));
  EXPECT_TRUE(S_ISLNK(lstat_of(path("outer")).st_mode));
  EXPECT_TRUE(S_ISLNK(lstat_of(path("sub/inner")).st_mode));
  const struct stat target = lstat_of(path("sub/target"));
  EXPECT_TRUE(S_ISREG(target.st_mode));
  EXPECT_EQ(target.st_mode & 07777, 0600u);
  EXPECT_EQ(read_file(path("sub/target")), "new\n");
  EXPECT_EQ(listing(), (std::vector<std::string>{"outer", "sub"}));
}

TEST_F(WriteOutput, DanglingSymlinkCreatesItsTarget) {
  ASSERT_EQ(::symlink(path("made").c_str(), path("link").c_str()), 0);
  ASSERT_TRUE(write_output(path("link"), std::string_view("text\n")));
  EXPECT_TRUE(S_ISLNK(lstat_of(path("link")).st_mode));
  EXPECT_EQ(read_file(path("made")), "text\n");
}

TEST_F(WriteOutput, SymlinkLoopIsAnErrorNamingThePath) {
  ASSERT_EQ(::symlink("b", path("a").c_str()), 0);
  ASSERT_EQ(::symlink("a", path("b").c_str()), 0);
  auto r = write_output(path("a"), std::string_view("x"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(path("a")), std::string::npos) << r.error().message;
  EXPECT_EQ(listing(), (std::vector<std::string>{"a", "b"}));
}

TEST_F(WriteOutput, FifoIsWrittenThrough) {
  ASSERT_EQ(::mkfifo(path("fifo").c_str(), 0600), 0);
  std::string bytes(200000, '\0');  // more than a pipe buffer holds
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7);
  std::string received;
  std::thread reader([&] { received = read_file(path("fifo")); });
  auto r = write_output(path("fifo"), std::string_view{bytes});
  reader.join();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(received, bytes);
  EXPECT_TRUE(S_ISFIFO(lstat_of(path("fifo")).st_mode));
  EXPECT_EQ(listing(), std::vector<std::string>{"fifo"});
}

// `-o /dev/stdout` with stdout on a pipe: /proc/self/fd/N names "pipe:[..]",
// which is no path to create a file at.
TEST_F(WriteOutput, ProcFdLinkToAPipeIsWrittenThrough) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  auto r = write_output("/proc/self/fd/" + std::to_string(fds[1]), std::string_view("through the pipe\n"));
  ::close(fds[1]);
  ASSERT_TRUE(r) << r.error().message;
  char buf[64] = {};
  EXPECT_EQ(::read(fds[0], buf, sizeof buf), 17);
  EXPECT_STREQ(buf, "through the pipe\n");
  ::close(fds[0]);
}

TEST_F(WriteOutput, CharacterDeviceIsWrittenThrough) {
  // A node equivalent to /dev/null (major 1, minor 3).
  if (::mknod(path("null").c_str(), S_IFCHR | 0666, ::makedev(1, 3)) != 0) {
    GTEST_SKIP() << "cannot create a device node here (" << std::strerror(errno) << "); needs CAP_MKNOD";
  }
  const int probe = ::open(path("null").c_str(), O_WRONLY);
  if (probe < 0) GTEST_SKIP() << "device nodes cannot be opened here (" << std::strerror(errno) << "; a nodev mount?)";
  ::close(probe);
  ASSERT_TRUE(write_output(path("null"), std::string_view("discarded\n")));
  const struct stat st = lstat_of(path("null"));
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(::major(st.st_rdev), 1u);
  EXPECT_EQ(::minor(st.st_rdev), 3u);
  EXPECT_EQ(listing(), std::vector<std::string>{"null"});
}

TEST_F(WriteOutput, DirectoryIsAnErrorAndLeavesNothing) {
  ASSERT_EQ(::mkdir(path("d").c_str(), 0755), 0);
  auto r = write_output(path("d"), std::string_view("x"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("is a directory"), std::string::npos) << r.error().message;
  EXPECT_EQ(listing(), std::vector<std::string>{"d"});
}

TEST_F(WriteOutput, MissingDirectoryIsAnErrorNamingThePath) {
  auto r = write_output(path("no/such/out"), std::string_view("x"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find(path("no/such/out")), std::string::npos) << r.error().message;
  EXPECT_TRUE(listing().empty());
}

// A write that fails half way (RLIMIT_FSIZE: EFBIG after 4 KiB), in a forked
// child so the limit stays there. Exit 0: write_output failed naming the file.
int write_under_size_limit(const std::string& target) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{4096, 4096};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    const std::string big(1 << 20, 'x');
    auto r = write_output(target, std::string_view{big});
    _exit(!r && r.error().message.find(target) != std::string::npos ? 0 : 1);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// A file a command-line argument names (by any path to it) is an input:
// replacing it with the output would lose it.
TEST_F(WriteOutput, AFileAnArgumentNamesIsNotReplaced) {
  create_file(path("in.json"), "profile\n", 0644);
  ASSERT_EQ(::symlink("in.json", path("link.json").c_str()), 0);
  note_argument_path(dir_ + "/./in.json");
  for (const std::string& out : {path("in.json"), path("link.json")}) {
    auto r = write_output(out, std::string_view("bpf"));
    ASSERT_FALSE(r) << out;
    EXPECT_EQ(r.error().message,
              out + ": is also an input of this command (" + dir_ + "/./in.json); nothing was written");
  }
  EXPECT_EQ(read_file(path("in.json")), "profile\n");
  EXPECT_TRUE(write_output(path("other.bpf"), std::string_view("bpf")));
}

// rename() would replace a read-only file in a writable directory: a user
// who may not write the file does not get to replace it (root may, as with
// any write).
TEST_F(WriteOutput, AFileTheUserMayNotWriteIsNotReplaced) {
  create_file(path("ro.bin"), "old\n", 0444);
  ASSERT_EQ(::chmod(dir_.c_str(), 0777), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    // As root, become nobody first (the file stays root's).
    if (::geteuid() == 0 && (::setresgid(65534, 65534, 65534) != 0 || ::setresuid(65534, 65534, 65534) != 0)) _exit(3);
    auto r = write_output(path("ro.bin"), std::string_view("new"));
    if (r) _exit(1);
    _exit(r.error().message == path("ro.bin") + ": cannot write output file: Permission denied" ? 0 : 2);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 3) GTEST_SKIP() << "cannot drop to an unprivileged user here";
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(read_file(path("ro.bin")), "old\n");
  EXPECT_EQ(listing(), std::vector<std::string>{"ro.bin"});
}

TEST_F(WriteOutput, FailedWriteLeavesNoFileAndNoTemporary) {
  EXPECT_EQ(write_under_size_limit(path("new.bpf")), 0);
  EXPECT_TRUE(listing().empty());
}

TEST_F(WriteOutput, FailedWriteLeavesTheOldFileIntact) {
  create_file(path("old.bpf"), "old contents\n", 0640);
  EXPECT_EQ(write_under_size_limit(path("old.bpf")), 0);
  EXPECT_EQ(read_file(path("old.bpf")), "old contents\n");
  EXPECT_EQ(stat_of(path("old.bpf")).st_mode & 07777, 0640u);
  EXPECT_EQ(listing(), std::vector<std::string>{"old.bpf"});
}

}  // namespace
}  // namespace sysfence::cli
