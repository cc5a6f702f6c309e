#include "run/exec_failure.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "base/seccomp.h"
#include "base/text.h"
#include "bpf/interp.h"
#include "bpf/raw.h"
#include "run/command.h"
#include "syscalls/arch.h"

namespace sysfence::run {

namespace {

Action answer(const bpf::Interpreter& filter, uint32_t nr, const std::array<uint64_t, 6>& args) {
  SeccompData data;
  data.nr = nr;
  data.arch = syscalls::native_arch().audit_arch;
  data.args = args;
  return filter.run(data, bpf::host_endian()).action();
}

bool lets_through(const bpf::Interpreter& filter, uint32_t nr, const std::array<uint64_t, 6>& args) {
  const ActionKind kind = answer(filter, nr, args).kind;
  return kind == ActionKind::kAllow || kind == ActionKind::kLog;
}

// Appends `s` at `at`, within `out`; returns the new end.
size_t append(std::span<char> out, size_t at, std::string_view s) {
  const size_t n = std::min(s.size(), out.size() - at);
  std::memcpy(out.data() + at, s.data(), n);
  return at + n;
}

// The decimal digits of `v`, without the locale or an allocation.
std::string_view digits(unsigned v, std::span<char, 12> buf) {
  size_t at = buf.size();
  do {
    buf[--at] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && at > 0);
  return {buf.data() + at, buf.size() - at};
}

// The arguments of exec_image's execve.
std::array<uint64_t, 6> exec_args(const ExecImage& image) {
  return {reinterpret_cast<uint64_t>(image.path.c_str()),
          reinterpret_cast<uint64_t>(image.argv.data()),
          reinterpret_cast<uint64_t>(image.envp.data()),
          0,
          0,
          0};
}

}  // namespace

bool skips_exec(std::span<const bpf::Insn> program, const ExecImage& image) {
  auto filter = bpf::Interpreter::create(program);
  if (!filter) return false;
  return answer(*filter, SYS_execve, exec_args(image)) == Action::Errno(0);
}

std::optional<std::string> exec_never_starts(std::span<const bpf::Insn> program, const ExecImage& image) {
  auto filter = bpf::Interpreter::create(program);
  if (!filter) return std::nullopt;
  const Action a = answer(*filter, SYS_execve, exec_args(image));
  if (a.kind != ActionKind::kKillProcess && a.kind != ActionKind::kKillThread && a.kind != ActionKind::kTrap)
    return std::nullopt;
  return "cannot run " + std::string(image.path) + ": the profile answers its execve " + to_string(a) +
         ", which ends the process with SIGSYS before the command starts";
}

std::string exec_failure_message(std::string_view path, int err, bool profile_skips) {
  // ERRNO(0) is no error: execve "succeeds" without running anything, and
  // strerror(0) would say "Success".
  if (err == 0 && profile_skips) {
    return "the profile answers execve ERRNO(0): the kernel skips the call and returns 0, so " + std::string(path) +
           " never runs";
  }
  if (err == 0) {
    return "execve returned 0 without running " + std::string(path) +
           ": the call was skipped (an ERRNO(0) of a filter installed before sysfence's, or an agent's answer)";
  }
  return "cannot run " + std::string(path) + ": " + std::strerror(err);
}

ExecFailureReport::ExecFailureReport(std::string_view path, bool profile_skips) {
  const std::string prefix = "sysfence: " + one_line("cannot run " + std::string(path) + ": ");
  // Room is left for the errno's description and the newline.
  prefix_len_ = append(std::span<char>(text_).first(text_.size() - 128), 0, prefix);
  // The newline last, also when a long path is cut.
  skipped_len_ = append(std::span<char>(skipped_).first(skipped_.size() - 1), 0,
                        "sysfence: " + one_line(exec_failure_message(path, 0, profile_skips)));
  skipped_[skipped_len_++] = '\n';
}

size_t ExecFailureReport::complete(int err) {
  const std::span<char> out(text_.data(), text_.size() - 1);  // the last byte is for '\n'
  // strerrordesc_np reads a table: unlike strerror it never looks for a
  // translation, which may open files.
  size_t at = prefix_len_;
  if (const char* description = strerrordesc_np(err); description != nullptr) {
    at = append(out, at, description);
  } else {
    std::array<char, 12> buf;
    at = append(out, at, "Unknown error ");
    at = append(out, at, digits(static_cast<unsigned>(err), buf));
  }
  text_[at++] = '\n';
  return at;
}

bool ExecFailureReport::allowed_by(std::span<const bpf::Insn> program) const {
  auto filter = bpf::Interpreter::create(program);
  if (!filter) return false;
  for (const uint64_t code : {kExitCannotRun, kExitNotFound}) {
    if (!lets_through(*filter, SYS_exit_group, {code, 0, 0, 0, 0, 0})) return false;
  }
  const auto buffer = reinterpret_cast<uint64_t>(text_.data());
  for (size_t length = prefix_len_ + 1; length <= text_.size(); ++length) {
    if (!lets_through(*filter, SYS_write, {STDERR_FILENO, buffer, length, 0, 0, 0})) return false;
  }
  const auto skipped = reinterpret_cast<uint64_t>(skipped_.data());
  return lets_through(*filter, SYS_write, {STDERR_FILENO, skipped, skipped_len_, 0, 0, 0});
}

void ExecFailureReport::report_and_exit(int err) {
  // One raw write: nothing buffered, nothing to close afterwards.
  if (err == 0) {
    [[maybe_unused]] const long written = syscall(SYS_write, STDERR_FILENO, skipped_.data(), skipped_len_);
  } else {
    const size_t length = complete(err);
    [[maybe_unused]] const long written = syscall(SYS_write, STDERR_FILENO, text_.data(), length);
  }
  _exit(exit_code_for_exec_errno(err));
}

}  // namespace sysfence::run
