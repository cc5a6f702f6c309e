// Running the built sysfence binary (or any program) from a test, the one
// way every end-to-end test does it: fork + execve with stdout and stderr
// captured in temporary files (a large report cannot fill a pipe and block
// the child), stdin from /dev/null, a file or closed, no core dumps, optional
// CPU and address-space limits, extra environment, and a wall-clock deadline
// after which the child is killed. Plus the file helpers those tests share.
#pragma once

#include <sys/resource.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sysfence::cli_runner {

struct Result {
  int status = 0;          // raw wait status
  int exit_code = -1;      // -1 unless the child exited
  int signal = 0;          // terminating signal; 0 unless killed by one
  bool timed_out = false;  // killed at the wall-clock deadline
  std::string out;
  std::string err;

  // "exit 3" or "signal 31 (Bad system call)", then stdout and stderr.
  std::string describe() const;
};

enum class Stdin { kNull, kClosed, kFile };

struct Options {
  Stdin stdin_mode = Stdin::kNull;
  std::string stdin_path;               // read as stdin with Stdin::kFile
  bool stdout_full = false;             // stdout is /dev/full: every write fails
  std::vector<std::string> env;         // NAME=VALUE, added to (or replacing in) the test's environment
  std::optional<rlim_t> cpu_seconds;    // RLIMIT_CPU
  std::optional<rlim_t> address_space;  // RLIMIT_AS, in bytes
  int timeout_ms = 240000;              // then SIGKILL (below Bazel's own test timeouts)
};

Options stdin_from(std::string path);
Options closed_stdin();
Options full_stdout();

// Runs argv[0] (a path, not searched in PATH) with argv.
Result spawn(const std::vector<std::string>& argv, const Options& options = {});
// `sysfence ARGS...`.
Result run_sysfence(const std::vector<std::string>& args, const Options& options = {});
// `args` split at spaces: for call sites that write a command line as one
// string. No quoting and no redirection; use Options for stdin.
std::vector<std::string> words(std::string_view args);

// A file of the test's runfiles tree, by its path in the workspace.
std::string runfile(std::string_view path);
std::string sysfence_binary();
// A path in the test's private temporary directory (TEST_TMPDIR).
std::string tmp_path(std::string_view name);

// Writes (truncating) and reads whole files; a failed write is a test
// failure, a missing file reads as "".
void write_file(const std::string& path, std::string_view bytes);
std::string read_file(const std::string& path);
bool exists(const std::string& path);
// The names in a directory, sorted, without "." and "..".
std::vector<std::string> list_dir(const std::string& dir);

// One command that must fail: for tests whose cases are data.
struct FailureCase {
  std::vector<std::string> args;
  int exit_code = 2;
  std::string err_has;  // a substring of stderr ("" checks nothing)
};

// Runs `sysfence c.args...` and checks its exit code and that stderr holds
// c.err_has (failures name the command); the result is for further checks.
Result expect_failure(const FailureCase& c, const Options& options = {});

// "sysfence ARGS..." for messages, each argument cut at 80 characters.
std::string command_line(const std::vector<std::string>& args);

}  // namespace sysfence::cli_runner
