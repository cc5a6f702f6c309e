// sysfence: seccomp profiles -> classic BPF. The CLI is thin: each subcommand
// (tools/cmd_*.cc) parses its flags, calls the libraries and prints.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "base/text.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"
#include "tools/cli/command.h"
#include "tools/version.h"

namespace {

using sysfence::cli::Command;
using sysfence::cli::kExitOk;
using sysfence::cli::kExitUsage;

void print_help() {
  fmt::print("usage: sysfence COMMAND [ARGS...]\n\ncommands:\n");
  for (const auto& c : sysfence::cli::commands()) fmt::print("  {:<9} {}\n", c.name, c.synopsis);
  fmt::print("\n`sysfence COMMAND --help` describes a command's flags; `sysfence --version` prints the version.\n");
}

// `--help` / `-h` among the command's own flags. Scanning stops at `--` and,
// for `run`, at CMD: what follows belongs to the command being run.
bool asks_for_help(const Command& command, std::span<const std::string> args) {
  for (const std::string& a : args) {
    if (a == "--") return false;
    if (a == "--help" || a == "-h") return true;
    if (command.name == "run" && !a.starts_with('-')) return false;
  }
  return false;
}

int write_error(int err) {
  if (err == 0) {
    std::fputs("sysfence: error writing standard output\n", stderr);
  } else {
    std::fprintf(stderr, "sysfence: error writing standard output: %s\n", std::strerror(err));
  }
  return kExitUsage;
}

// Output still buffered, or lost earlier, is an error like any other: a
// command whose stdout is full must not exit 0. A stream error whose write
// has already been discarded leaves its errno behind as the best account.
int finish_stdout(int status) {
  const int earlier_errno = errno;
  const bool earlier_error = std::ferror(stdout) != 0;
  int err = 0;
  if (std::fflush(stdout) != 0) err = errno;
  if (::close(STDOUT_FILENO) != 0 && errno != EBADF && err == 0) err = errno;
  if (err == 0 && earlier_error) err = earlier_errno;
  if (err != 0 || earlier_error) return write_error(err);
  return status;
}

bool is_help_flag(const std::string& a) { return a == "--help" || a == "-h"; }

// The version names the newest kernel any table has a syscall from: the tables are generated
// from one kernel's sources plus the syscalls added after it
// (syscalls/data/post_6_12.txt), so the source kernel alone undersells them.
void print_version() {
  fmt::print("sysfence {}\nsyscall tables: Linux {}, with the syscalls added up to Linux {}\n", sysfence::kVersion,
             sysfence::kSyscallTablesKernel, sysfence::syscalls::to_string(sysfence::syscalls::newest_since()));
}

int dispatch(const std::vector<std::string>& args) {
  // `sysfence help --help` asks for the same general help as `sysfence help`.
  const bool help_on_help = args.size() == 2 && args[0] == "help" && is_help_flag(args[1]);
  if (args.empty() || is_help_flag(args[0]) || (args[0] == "help" && args.size() == 1) || help_on_help) {
    print_help();
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] == "--version") {
    print_version();
    return kExitOk;
  }
  if (args[0] == "help") {
    if (args.size() > 2) {
      fmt::print(stderr, "sysfence: usage: sysfence help [COMMAND]\n");
      return kExitUsage;
    }
    const Command* c = sysfence::cli::find_command(args[1]);
    if (c == nullptr) {
      fmt::print(stderr, "sysfence: help: unknown command {} (see `sysfence help`)\n", sysfence::quote(args[1]));
      return kExitUsage;
    }
    fmt::print("{}", sysfence::cli::command_help(*c));
    return kExitOk;
  }
  const Command* c = sysfence::cli::find_command(args[0]);
  if (c == nullptr) {
    fmt::print(stderr, "sysfence: unknown command {} (see `sysfence help`)\n", sysfence::quote(args[0]));
    return kExitUsage;
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (asks_for_help(*c, rest)) {
    fmt::print("{}", sysfence::cli::command_help(*c));
    return kExitOk;
  }
  return c->run(rest);
}

}  // namespace

int main(int argc, char** argv) {
  // `bazel run //tools:sysfence -- compile my.json -o out.bpf` runs in the
  // runfiles tree; relative paths mean the directory bazel was called from.
  if (const char* dir = std::getenv("BUILD_WORKING_DIRECTORY"); dir != nullptr && *dir != '\0') {
    if (::chdir(dir) != 0) {
      std::fprintf(stderr, "sysfence: cannot change to BUILD_WORKING_DIRECTORY %s: %s\n", dir, std::strerror(errno));
      return kExitUsage;
    }
  }
  // Exceptions never cross the CLI: anything unexpected is reported as an
  // internal error with exit code 2, never a crash.
  try {
    return finish_stdout(dispatch(std::vector<std::string>(argv + 1, argv + argc)));
  } catch (const std::bad_alloc&) {
    std::fputs("sysfence: out of memory\n", stderr);
  } catch (const std::system_error& e) {
    // fmt::print throws when stdout cannot take the text.
    if (std::ferror(stdout) != 0) return write_error(e.code().value());
    std::fprintf(stderr, "sysfence: internal error: %s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sysfence: internal error: %s\n", e.what());
  } catch (...) {
    std::fputs("sysfence: internal error\n", stderr);
  }
  return kExitUsage;
}
