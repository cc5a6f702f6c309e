// A filter stack: every seccomp filter a task carries, evaluated as the
// kernel does (kernel/seccomp.c, seccomp_run_filters). A task gains one
// filter per successful seccomp(2)/prctl call and never loses one; on each
// system call the kernel runs EVERY filter, newest first, starting from
// SECCOMP_RET_ALLOW, and keeps a filter's return value only when its action
// part, (s32)(ret & SECCOMP_RET_ACTION_FULL), is strictly lower than the one
// kept so far. Consequences this file makes explicit:
//   * KILL_PROCESS (0x80000000, negative) beats everything;
//   * among equal actions the NEWEST filter's data wins (ERRNO values, TRAP
//     and TRACE data), since an older one is never strictly lower;
//   * unknown action values take part by their number;
//   * when every filter ALLOWs, the answer is SECCOMP_RET_ALLOW itself (data
//     0) and no filter is the deciding one.
// A stack is held in installation order (oldest first), the order a program
// installs them in. A filter's position in it is the kernel's own index for
// it (get_nth_filter, PTRACE_SECCOMP_GET_FILTER: 0 = the oldest), so
// "filter N" means the same filter here, in `sysfence dump` and in the kernel.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/expected.h"
#include "base/seccomp.h"
#include "bpf/insn.h"
#include "bpf/interp.h"

namespace sysfence::bpf {

// The kernel's order between two filter results: whether `candidate`
// replaces `kept` (its action part is strictly lower as a signed number).
constexpr bool replaces(uint32_t candidate, uint32_t kept) {
  return static_cast<int32_t>(candidate & kRetActionFull) < static_cast<int32_t>(kept & kRetActionFull);
}

struct StackRunResult {
  uint32_t ret = kRetAllow;  // the stack's return value, as the kernel acts on it
  // Installation position (= kernel index) of the filter whose value was kept; nullopt when
  // every filter allowed (the kernel then has no matching filter).
  std::optional<size_t> decider;
  // Per filter, installation order (every filter runs): its own return value
  // and the instructions it executed.
  std::vector<uint32_t> rets;
  std::vector<uint32_t> insns;
  uint32_t total_insns = 0;

  Action action() const { return decode(ret); }
};

// The results of each filter (installation order), combined the kernel's way.
StackRunResult combine(std::span<const RunResult> per_filter);

// Validated, pre-decoded filters, evaluated together.
class StackInterpreter {
 public:
  // `stack` in installation order, at least one filter. Error: "filter N:
  // <validator message>" with N the kernel's index (the position).
  static Expected<StackInterpreter> create(std::span<const Program> stack);

  StackRunResult run(const SeccompWords& data) const;
  StackRunResult run(const SeccompData& data, Endian e) const { return run(to_words(data, e)); }

  size_t size() const { return filters_.size(); }
  const Interpreter& filter(size_t position) const { return filters_[position]; }

 private:
  explicit StackInterpreter(std::vector<Interpreter> filters) : filters_(std::move(filters)) {}
  std::vector<Interpreter> filters_;
};

// One-shot convenience: validate, decode and run the stack.
Expected<StackRunResult> run_stack(std::span<const Program> stack, const SeccompWords& data);
Expected<StackRunResult> run_stack(std::span<const Program> stack, const SeccompData& data, Endian e);

}  // namespace sysfence::bpf
