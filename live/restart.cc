#include "live/restart.h"

#include <fmt/format.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <utility>

#include "base/seccomp.h"
#include "bpf/stack.h"
#include "live/filters.h"

namespace sysfence::live {

namespace {

#if defined(__x86_64__)

// include/uapi/linux/ptrace.h and audit.h, arch/x86/entry/syscalls/syscall_64.tbl
// (restart_syscall is 219, "common": x32's too, with __X32_SYSCALL_BIT) and
// syscall_32.tbl (0); spelled out so that the build does not depend on how new
// the C library's headers are.
constexpr int kPtraceGetSyscallInfo = 0x420e;
constexpr uint32_t kAuditArchX86_64 = 0xc000003eU;
constexpr uint32_t kAuditArchI386 = 0x40000003U;
constexpr uint64_t kX32SyscallBit = 0x40000000U;
constexpr uint32_t kRestartSyscallX86_64 = 219;
constexpr uint32_t kRestartSyscallI386 = 0;
constexpr int32_t kErestartRestartblock = -516;
constexpr unsigned long long kUser32CodeSegment = 0x23;

// The head of struct ptrace_syscall_info; the kernel copies no more than the
// size it is given.
struct SyscallInfoHead {
  uint8_t op;
  uint8_t pad[3];
  uint32_t arch;
  uint64_t instruction_pointer;
  uint64_t stack_pointer;
};

// The ABI of the interrupted call, which is the one the kernel restarts it in
// (get_nr_restart_syscall: an i386 call, made with TS_COMPAT set, is
// restarted as i386 number 0). TS_COMPAT is cleared only on the return to
// user mode, after the stop, so PTRACE_GET_SYSCALL_INFO (Linux 5.3) still
// reports it; before 5.3, a 32-bit code segment says i386 (an `int $0x80`
// from 64-bit code is then taken for x86_64).
uint32_t audit_arch_of(pid_t tid, const user_regs_struct& regs) {
  SyscallInfoHead info{};
  if (ptrace(static_cast<enum __ptrace_request>(kPtraceGetSyscallInfo), tid, sizeof info, &info) > 0) return info.arch;
  return regs.cs == kUser32CodeSegment ? kAuditArchI386 : kAuditArchX86_64;
}

// What the filters see for restart_syscall: the kernel jumps back to the
// syscall instruction with the call's argument registers unchanged.
SeccompData restart_call(const user_regs_struct& regs, uint32_t arch, InterruptedCall& call) {
  SeccompData data{.nr = 0, .arch = arch, .instruction_pointer = regs.rip, .args = {}};
  if (arch == kAuditArchI386) {
    call.abi = "i386";
    call.restart_nr = kRestartSyscallI386;
    data.args = {regs.rbx, regs.rcx, regs.rdx, regs.rsi, regs.rdi, regs.rbp};
  } else {
    const bool x32 = (regs.orig_rax & kX32SyscallBit) != 0;
    call.abi = x32 ? "x32" : "x86_64";
    call.restart_nr = kRestartSyscallX86_64 | (x32 ? static_cast<uint32_t>(kX32SyscallBit) : 0U);
    call.nr &= ~static_cast<uint32_t>(kX32SyscallBit);
    data.args = {regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9};
  }
  data.nr = call.restart_nr;
  return data;
}

// The call `tid` is stopped in, when the kernel would continue it through
// restart_syscall, and what its filters would see for that.
struct PendingRestart {
  InterruptedCall call;
  SeccompData restart;
};

std::optional<PendingRestart> pending_restart(pid_t tid) {
  user_regs_struct regs{};
  if (ptrace(PTRACE_GETREGS, tid, nullptr, &regs) != 0) return std::nullopt;
  // Not in a system call (orig_rax -1), or in one the kernel restarts as it
  // was (the filters allowed it already) or does not restart at all.
  if (static_cast<int32_t>(regs.orig_rax) < 0) return std::nullopt;
  if (static_cast<int32_t>(regs.rax) != kErestartRestartblock) return std::nullopt;
  PendingRestart pending;
  pending.call.tid = tid;
  pending.call.nr = static_cast<uint32_t>(regs.orig_rax);
  pending.restart = restart_call(regs, audit_arch_of(tid, regs), pending.call);
  return pending;
}

// The kernel reads the return register after the stop to decide on the
// restart (arch_do_signal_or_restart): -EINTR is not restarted.
void return_eintr(InterruptedCall& call) {
  const long eintr = -EINTR;
  // NOLINTNEXTLINE(performance-no-int-to-ptr): PTRACE_POKEUSER's data argument is the register's value.
  if (ptrace(PTRACE_POKEUSER, call.tid, offsetof(struct user, regs.rax), reinterpret_cast<void*>(eintr)) != 0) {
    call.poke_error = errno;
  }
}

// What the filters answer restart_syscall: the call returns EINTR unless
// ALLOW or LOG.
std::optional<InterruptedCall> judge(PendingRestart pending, std::span<const bpf::Program> installed) {
  auto stack = bpf::StackInterpreter::create(installed);
  if (!stack) return std::nullopt;  // the kernel accepted these filters: not reached
  pending.call.answer = stack->run(pending.restart, Endian::kLittle).ret;
  const ActionKind kind = decode(pending.call.answer).kind;
  if (kind == ActionKind::kAllow || kind == ActionKind::kLog) return std::nullopt;
  return_eintr(pending.call);
  return pending.call;
}

#else

struct PendingRestart {
  InterruptedCall call;
};

// Elsewhere the call is restarted as the kernel decides.
std::optional<PendingRestart> pending_restart(pid_t) { return std::nullopt; }
void return_eintr(InterruptedCall&) {}
std::optional<InterruptedCall> judge(const PendingRestart&, std::span<const bpf::Program>) { return std::nullopt; }

#endif

// "cannot read the filters of process 123: CAP_SYS_ADMIN is required" -> its reason.
std::string reason_unread(const std::string& message, pid_t tid) {
  const std::string head = fmt::format("cannot read the filters of process {}: ", tid);
  return message.starts_with(head) ? message.substr(head.size()) : message;
}

}  // namespace

std::optional<InterruptedCall> return_eintr_if_restart_denied(pid_t tid, std::span<const bpf::Program> installed) {
  if (installed.empty()) return std::nullopt;
  auto pending = pending_restart(tid);
  if (!pending) return std::nullopt;
  return judge(std::move(*pending), installed);
}

std::optional<InterruptedCall> keep_restart_harmless(pid_t tid) {
  auto pending = pending_restart(tid);
  if (!pending) return std::nullopt;
  // Without filters nothing judges restart_syscall; strict mode allows no
  // call that sleeps.
  auto status = read_process_seccomp(tid);
  if (!status || status->mode != SeccompMode::kFilter) return std::nullopt;
  auto filters = read_filters_of_stopped(tid);
  if (!filters) {
    pending->call.unread = reason_unread(filters.error().message, tid);
    return_eintr(pending->call);
    return pending->call;
  }
  return judge(std::move(*pending), oldest_first(*filters));
}

std::string describe(const InterruptedCall& call) {
  const std::string head =
      fmt::format("thread {} was interrupted in syscall {} ({}), which the kernel continues through restart_syscall; ",
                  call.tid, call.nr, call.abi);
  const std::string judged = call.unread.empty()
                                 ? fmt::format("its filters answer that with {}", to_string(decode(call.answer)))
                                 : fmt::format("its filters could not be read ({})", call.unread);
  if (call.poke_error != 0) {
    return head + judged +
           fmt::format(", and its return value could not be set to EINTR ({}): the call ends as the filters say",
                       std::strerror(call.poke_error));
  }
  if (!call.unread.empty()) {
    return head + judged +
           ", so the call returns EINTR instead, in case they deny that (as after a signal with a handler)";
  }
  return head + judged + ", so the call returns EINTR instead (as after a signal with a handler)";
}

}  // namespace sysfence::live
