#include "test/run/spawn.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sysfence::run::testing {

bool Outcome::exited() const { return WIFEXITED(status); }
int Outcome::code() const { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; }
bool Outcome::signaled() const { return WIFSIGNALED(status); }
int Outcome::signal() const { return WIFSIGNALED(status) ? WTERMSIG(status) : 0; }

std::string Outcome::describe() const {
  std::string s = exited() ? "exit " + std::to_string(code())
                           : "signal " + std::to_string(signal()) + " (" + strsignal(signal()) + ")";
  return s + "\n--- stdout:\n" + out + "--- stderr:\n" + err;
}

std::string tmp_path(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

std::string socket_path(const std::string& name) {
  static const std::string dir = [] {
    char templ[] = "/tmp/sysfence-run-XXXXXX";
    return std::string(mkdtemp(templ) != nullptr ? templ : "/tmp");
  }();
  return dir + "/" + name;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

namespace {
std::string runfile(const std::string& rel) {
  const char* dir = std::getenv("TEST_SRCDIR");
  return std::string(dir != nullptr ? dir : ".") + "/sysfence/" + rel;
}
int counter = 0;
}  // namespace

std::string sysfence_binary() { return runfile("tools/sysfence"); }
std::string client_binary() { return runfile("test/run/syscall_client"); }

Outcome spawn(const std::vector<std::string>& argv, int timeout_ms) {
  const int n = ++counter;
  const std::string out_path = tmp_path("spawn" + std::to_string(n) + ".out");
  const std::string err_path = tmp_path("spawn" + std::to_string(n) + ".err");
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int err_fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    dup2(in_fd, 0);
    dup2(out_fd, 1);
    dup2(err_fd, 2);
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    execv(args[0], args.data());
    _exit(120);
  }
  close(in_fd);
  close(out_fd);
  close(err_fd);
  Outcome o;
  const int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  pollfd p{pidfd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) != 1) kill(pid, SIGKILL);
  close(pidfd);
  waitpid(pid, &o.status, 0);
  o.out = read_file(out_path);
  o.err = read_file(err_path);
  return o;
}

Outcome sysfence_run(const std::vector<std::string>& args, int timeout_ms) {
  std::vector<std::string> argv = {sysfence_binary(), "run"};
  argv.insert(argv.end(), args.begin(), args.end());
  return spawn(argv, timeout_ms);
}

std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) out.push_back(line);
  }
  return out;
}

}  // namespace sysfence::run::testing
