#include "test/run/spawn.h"

#include <sys/wait.h>

#include <cstdlib>
#include <cstring>
#include <sstream>

#include "test/cli_runner.h"

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

std::string tmp_path(const std::string& name) { return cli_runner::tmp_path(name); }

std::string socket_path(const std::string& name) {
  static const std::string dir = [] {
    char templ[] = "/tmp/sysfence-run-XXXXXX";
    return std::string(mkdtemp(templ) != nullptr ? templ : "/tmp");
  }();
  return dir + "/" + name;
}

std::string read_file(const std::string& path) { return cli_runner::read_file(path); }

void write_file(const std::string& path, const std::string& text) { cli_runner::write_file(path, text); }

std::string sysfence_binary() { return cli_runner::sysfence_binary(); }
std::string client_binary() { return cli_runner::runfile("test/run/syscall_client"); }

Outcome spawn(const std::vector<std::string>& argv, int timeout_ms) {
  cli_runner::Options options;
  options.timeout_ms = timeout_ms;
  cli_runner::Result r = cli_runner::spawn(argv, options);
  return Outcome{r.status, std::move(r.out), std::move(r.err)};
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
