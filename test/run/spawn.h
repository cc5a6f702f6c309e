// Running the sysfence binary (or any program) from the `run` tests, through
// //test:cli_runner: stdout / stderr captured in files, no core dumps
// (RLIMIT_CORE 0, so SIGSYS deaths leave no files), and the raw wait status
// so that a death by signal is visible as such.
#pragma once

#include <string>
#include <vector>

namespace sysfence::run::testing {

struct Outcome {
  int status = 0;  // raw wait status
  std::string out;
  std::string err;

  bool exited() const;
  int code() const;  // exit code; -1 when not exited
  bool signaled() const;
  int signal() const;            // terminating signal; 0 when exited
  std::string describe() const;  // "exit 3" / "signal 31 (Bad system call)" + stderr
};

// Runs argv[0] (a path) with argv; `stdin_path` defaults to /dev/null.
// Kills it after `timeout_ms`.
Outcome spawn(const std::vector<std::string>& argv, int timeout_ms = 60000);

// The sysfence binary and the test client, from the test's runfiles.
std::string sysfence_binary();
std::string client_binary();
// A path in the test's private temporary directory.
std::string tmp_path(const std::string& name);
// A path for a unix socket: in a short private directory under /tmp, since
// socket paths are limited to 107 bytes, which TEST_TMPDIR may exceed.
std::string socket_path(const std::string& name);
void write_file(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);

// `sysfence run ARGS...`.
Outcome sysfence_run(const std::vector<std::string>& args, int timeout_ms = 60000);

// The lines of `text` that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& text, const std::string& prefix);

}  // namespace sysfence::run::testing
