// What `sysfence run` does when execve fails after the filter is in place.
//
// The process that installed the filter is under it, and the profile that
// denied execve (or any profile, when the exec fails for another reason: a
// noexec mount, E2BIG, ...) may deny every call a normal exit makes: the
// allocation behind a formatted message, the close(1) of the CLI's
// end-of-run check, exit_group itself. So the report is formatted before
// the filter is installed and sent with one raw write(2), and the process
// ends with _exit (exit_group, no stdio teardown). Whether the filter lets
// those two calls through is known before installing it, by running the
// program on exactly those calls: when it does not, `run` keeps a parent
// outside the filter to report the failure instead (run.h).
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "bpf/insn.h"
#include "run/command.h"

namespace sysfence::run {

// Whether `program` (native ABI) answers ERRNO(0) to the execve that
// exec_image makes first: the kernel then skips the call and returns 0, as
// if it had succeeded, and the command never runs.
bool skips_exec(std::span<const bpf::Insn> program, const ExecImage& image);

// Where `program` (native ABI) answers the execve that exec_image makes
// first with a kill or a trap, the message that says so: the command would
// die of SIGSYS before its first instruction, which no exit status of its
// own tells apart from a command that ran and was killed later. nullopt
// where the filter lets the call through, fails it, or leaves it to a
// tracer or an agent.
std::optional<std::string> exec_never_starts(std::span<const bpf::Insn> program, const ExecImage& image);

// What to say of exec_image's `err` for PATH: "cannot run PATH: Permission
// denied"; for 0 (the call was skipped), who skipped it: the profile when
// `profile_skips` (skips_exec), else something installed before sysfence's
// filter or its agent.
std::string exec_failure_message(std::string_view path, int err, bool profile_skips);

class ExecFailureReport {
 public:
  // Prepares "sysfence: cannot run PATH: " (PATH on one line), and the
  // whole message for a skipped execve (exec_failure_message's for 0).
  ExecFailureReport(std::string_view path, bool profile_skips);
  ExecFailureReport(const ExecFailureReport&) = delete;
  ExecFailureReport& operator=(const ExecFailureReport&) = delete;

  // Whether `program` (the filter about to be installed, native ABI)
  // allows write(2, this report, any length the report can have; the
  // skipped-execve message) and exit_group with 126 and 127, the codes
  // report_and_exit uses. A filter
  // already on the process is not seen; one that denies these calls would
  // deny them to the command too.
  bool allowed_by(std::span<const bpf::Insn> program) const;

  // Completes the message with `err`'s description (0: the skipped-execve
  // message instead), writes it to stderr and exits with 127 (ENOENT /
  // ENOTDIR) or 126, making no other system call.
  [[noreturn]] void report_and_exit(int err);

 private:
  // The message as the write will send it, and its length for `err`
  // (filled in from prefix_len_ on; truncated to the buffer).
  size_t complete(int err);

  std::array<char, 1024> text_{};
  size_t prefix_len_ = 0;
  std::array<char, 1024> skipped_{};
  size_t skipped_len_ = 0;
};

}  // namespace sysfence::run
