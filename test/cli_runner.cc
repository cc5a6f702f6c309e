#include "test/cli_runner.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace sysfence::cli_runner {

std::string Result::describe() const {
  std::string s = signal != 0 ? "signal " + std::to_string(signal) + " (" + strsignal(signal) + ")"
                              : "exit " + std::to_string(exit_code);
  if (timed_out) s += ", killed at the deadline";
  return s + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
}

Options stdin_from(std::string path) {
  Options o;
  o.stdin_mode = Stdin::kFile;
  o.stdin_path = std::move(path);
  return o;
}

Options closed_stdin() {
  Options o;
  o.stdin_mode = Stdin::kClosed;
  return o;
}

Options full_stdout() {
  Options o;
  o.stdout_full = true;
  return o;
}

std::string runfile(std::string_view path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* ws = std::getenv("TEST_WORKSPACE");
  return std::string(srcdir != nullptr ? srcdir : ".") + "/" + (ws != nullptr ? ws : "sysfence") + "/" +
         std::string(path);
}

std::string sysfence_binary() { return runfile("tools/sysfence"); }

std::string tmp_path(std::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + std::string(name);
}

void write_file(const std::string& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    ADD_FAILURE() << "cannot create " << path << ": " << std::strerror(errno);
    return;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (done != bytes.size()) ADD_FAILURE() << "wrote " << done << " of " << bytes.size() << " bytes to " << path;
}

std::string read_file(const std::string& path) {
  std::string s;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return s;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    s.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return s;
}

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return names;
  while (const dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> words(std::string_view args) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < args.size()) {
    const size_t start = args.find_first_not_of(' ', at);
    if (start == std::string_view::npos) break;
    const size_t end = std::min(args.find(' ', start), args.size());
    out.emplace_back(args.substr(start, end - start));
    at = end;
  }
  return out;
}

namespace {

// The test's environment with `extra` NAME=VALUE entries added or replacing.
std::vector<std::string> environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  for (const std::string& kv : extra) {
    const size_t eq = kv.find('=');
    const std::string name = kv.substr(0, eq == std::string::npos ? kv.size() : eq) + "=";
    std::erase_if(env, [&](const std::string& e) { return e.starts_with(name); });
    env.push_back(kv);
  }
  return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> p;
  p.reserve(strings.size() + 1);
  for (std::string& s : strings) p.push_back(s.data());
  p.push_back(nullptr);
  return p;
}

void set_limit(int resource, const std::optional<rlim_t>& value) {
  if (!value) return;
  const rlimit r{*value, *value};
  ::setrlimit(resource, &r);
}

// Only async-signal-safe calls: this runs between fork and exec.
[[noreturn]] void exec_child(const Options& o, int in_fd, int out_fd, int err_fd, char** argv, char** envp) {
  set_limit(RLIMIT_CPU, o.cpu_seconds);
  set_limit(RLIMIT_AS, o.address_space);
  set_limit(RLIMIT_CORE, rlim_t{0});  // a crash leaves no core file behind
  if (o.stdin_mode == Stdin::kClosed) {
    ::close(0);
  } else {
    ::dup2(in_fd, 0);
  }
  ::dup2(out_fd, 1);
  ::dup2(err_fd, 2);
  ::execve(argv[0], argv, envp);
  ::_exit(127);
}

// Waits for `pid` for at most `timeout_ms`, then kills it.
int wait_bounded(pid_t pid, int timeout_ms, bool& timed_out) {
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    int ready = 0;
    do {
      ready = ::poll(&p, 1, timeout_ms);
    } while (ready < 0 && errno == EINTR);
    ::close(pidfd);
    if (ready == 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

int counter = 0;

}  // namespace

Result spawn(const std::vector<std::string>& argv, const Options& options) {
  Result r;
  const std::string base = tmp_path("cli_runner." + std::to_string(::getpid()) + "." + std::to_string(++counter));
  const std::string out_name = base + ".out";
  const std::string err_name = base + ".err";
  const char* in_name = options.stdin_mode == Stdin::kFile ? options.stdin_path.c_str() : "/dev/null";
  const int in_fd = ::open(in_name, O_RDONLY | O_CLOEXEC);
  const int out_fd = options.stdout_full ? ::open("/dev/full", O_WRONLY | O_CLOEXEC)
                                         : ::open(out_name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int err_fd = ::open(err_name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (in_fd < 0 || out_fd < 0 || err_fd < 0) {
    ADD_FAILURE() << "cannot open stdin " << in_name << " or capture files " << base << ".*";
    for (const int fd : {in_fd, out_fd, err_fd})
      if (fd >= 0) ::close(fd);
    return r;
  }
  std::vector<std::string> args = argv;
  std::vector<std::string> env = environment(options.env);
  std::vector<char*> arg_ptrs = pointers(args);
  std::vector<char*> env_ptrs = pointers(env);
  const pid_t pid = ::fork();
  if (pid == 0) exec_child(options, in_fd, out_fd, err_fd, arg_ptrs.data(), env_ptrs.data());
  for (const int fd : {in_fd, out_fd, err_fd}) ::close(fd);
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return r;
  }
  r.status = wait_bounded(pid, options.timeout_ms, r.timed_out);
  if (WIFEXITED(r.status)) r.exit_code = WEXITSTATUS(r.status);
  if (WIFSIGNALED(r.status)) r.signal = WTERMSIG(r.status);
  r.out = read_file(out_name);
  r.err = read_file(err_name);
  ::unlink(out_name.c_str());
  ::unlink(err_name.c_str());
  return r;
}

Result run_sysfence(const std::vector<std::string>& args, const Options& options) {
  std::vector<std::string> argv = {sysfence_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return spawn(argv, options);
}

std::string command_line(const std::vector<std::string>& args) {
  std::string cmd = "sysfence";
  for (const std::string& a : args) cmd += " " + (a.size() > 80 ? a.substr(0, 80) + "..." : a);
  return cmd;
}

Result expect_failure(const FailureCase& c, const Options& options) {
  Result r = run_sysfence(c.args, options);
  EXPECT_EQ(r.exit_code, c.exit_code) << command_line(c.args) << "\n" << r.describe();
  EXPECT_NE(r.err.find(c.err_has), std::string::npos)
      << command_line(c.args) << "\nstderr lacks \"" << c.err_has << "\"\n"
      << r.describe();
  return r;
}

}  // namespace sysfence::cli_runner
