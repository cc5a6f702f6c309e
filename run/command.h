// Finding and starting the command, with execvp's rules and Docker's exit
// codes. The lookup happens before the filter is installed, so that "not
// found" / "not executable" are told apart with every system call available
// and reported as 127 / 126 even when the profile would deny the calls a
// search makes; after installation only execve itself runs.
#pragma once

#include <string>
#include <vector>

#include "base/expected.h"

namespace sysfence::run {

// Docker's conventions for `docker run` (and sysfence run's): its own
// failure, a command that cannot be run, a command that was not found.
inline constexpr int kExitOwnFailure = 125;
inline constexpr int kExitCannotRun = 126;
inline constexpr int kExitNotFound = 127;

struct CommandError {
  int exit_code = kExitNotFound;  // 126 or 127
  std::string message;            // "foo: executable file not found in $PATH"
};

// execvp's search: a name containing '/' is used as is; otherwise each
// directory of $PATH (default "/bin:/usr/bin" when unset, as glibc; an empty
// entry is the current directory) is tried in order and the first regular
// file with execute permission wins. A candidate that exists but cannot be
// executed makes the result 126 (execvp's EACCES) unless a later one works.
Expected<std::string, CommandError> find_executable(const std::string& name);

// The argv / envp arrays execve wants, owning their strings. Built before
// the filter is installed so that nothing allocates afterwards.
// Not copyable: argv points into args (moving keeps the vectors' buffers).
struct ExecImage {
  ExecImage() = default;
  ExecImage(const ExecImage&) = delete;
  ExecImage& operator=(const ExecImage&) = delete;
  ExecImage(ExecImage&&) = default;
  ExecImage& operator=(ExecImage&&) = default;

  std::string path;                      // resolved by find_executable
  std::vector<std::string> args;         // argv as given (argv[0] = the name typed)
  std::vector<char*> argv;               // pointers into args, null-terminated
  std::vector<char*> envp;               // environ at build time, null-terminated
  std::vector<std::string> script_args;  // "/bin/sh", path, args[1..]: execvp's ENOEXEC fallback
  std::vector<char*> script_argv;
};
ExecImage make_exec_image(std::string path, std::vector<std::string> args);

// execve(image) and, on ENOEXEC, execve("/bin/sh", path, args...) as execvp
// does. Returns only when nothing ran: with the errno of the attempt that
// counts, or 0 when an execve returned 0, which it does only when the call
// was skipped (a seccomp ERRNO(0): errno is then whatever an earlier call
// left in it).
int exec_image(const ExecImage& image);

// 127 for ENOENT / ENOTDIR (the file vanished), else 126.
int exit_code_for_exec_errno(int err);

}  // namespace sysfence::run
