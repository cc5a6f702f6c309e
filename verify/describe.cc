#include "verify/describe.h"

#include <fmt/format.h>

#include "syscalls/table.h"

namespace sysfence::verify {

namespace {

constexpr unsigned kNrWord = kOffsetNr / 4;
constexpr unsigned kArchWord = kOffsetArch / 4;
// Under AUDIT_ARCH_X86_64, x32's numbers: 0x40000000..0xfffffffe (-1 is a
// tracer's skip, read as x86_64's), as policy::evaluate dispatches.
constexpr uint32_t kX32Bit = 0x40000000U;
constexpr uint32_t kSkippedCall = 0xffffffffU;

Endian endian_of(const syscalls::Arch* abi) { return abi ? abi->endian : Endian::kLittle; }

std::string syscall_name(const syscalls::Arch* abi, uint32_t nr) {
  if (abi == nullptr) return fmt::format("nr {}", nr);
  if (auto n = syscalls::table(*abi).name(nr)) return fmt::format("{} (nr {})", *n, nr);
  return fmt::format("nr {} (not in the {} table)", nr, abi->name);
}

// What an input word is, for messages: "nr", "arch", "ip.lo", "args[2].hi".
std::string word_name(unsigned w, Endian e) {
  if (w == kNrWord) return "nr";
  if (w == kArchWord) return "arch";
  if (w == ip_lo_offset(e) / 4) return "ip.lo";
  if (w == ip_hi_offset(e) / 4) return "ip.hi";
  for (unsigned i = 0; i < 6; ++i) {
    if (w == arg_lo_offset(i, e) / 4) return fmt::format("args[{}].lo", i);
    if (w == arg_hi_offset(i, e) / 4) return fmt::format("args[{}].hi", i);
  }
  return fmt::format("word {}", w);
}

const syscalls::Arch* arch_by_audit(uint32_t audit) {
  for (const syscalls::Arch& a : syscalls::all_arches())
    if (a.audit_arch == audit && a.id != syscalls::ArchId::kX32) return &a;
  return nullptr;
}

}  // namespace

const syscalls::Arch* abi_of(const SeccompWords& input) {
  const syscalls::Arch* a = arch_by_audit(input[kArchWord]);
  if (a != nullptr && a->id == syscalls::ArchId::kX86_64 && input[kNrWord] >= kX32Bit && input[kNrWord] != kSkippedCall)
    return &syscalls::arch(syscalls::ArchId::kX32);
  return a;
}

SeccompData to_data(const SeccompWords& input) { return from_words(input, endian_of(abi_of(input))); }

std::string describe_input(const SeccompWords& input) {
  const syscalls::Arch* abi = abi_of(input);
  const SeccompData d = to_data(input);
  std::string out =
      abi ? fmt::format("{} (arch {:#x}), ", abi->name, d.arch) : fmt::format("unknown arch {:#x}, ", d.arch);
  out += syscall_name(abi, d.nr);
  out += fmt::format(", args {:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}", d.args[0], d.args[1], d.args[2], d.args[3],
                     d.args[4], d.args[5]);
  if (d.instruction_pointer != 0) out += fmt::format(", ip {:#x}", d.instruction_pointer);
  return out;
}

std::vector<std::string> describe_region(const std::array<WordSet, kWordCount>& region, const syscalls::Arch* abi) {
  const Endian e = endian_of(abi);
  std::vector<std::string> out;
  // arch, nr, then the rest in word order.
  std::vector<unsigned> order = {kArchWord, kNrWord};
  for (unsigned w = 0; w < kWordCount; ++w)
    if (w != kArchWord && w != kNrWord) order.push_back(w);
  for (unsigned w : order) {
    const WordSet& s = region[w];
    if (s.unconstrained()) continue;
    std::string text = fmt::format("{} {}", word_name(w, e), s.describe());
    if (auto p = s.pinned()) {
      if (w == kArchWord) {
        if (const syscalls::Arch* a = arch_by_audit(*p)) text += fmt::format(" ({})", a->name);
      } else if (w == kNrWord && abi != nullptr) {
        if (auto n = syscalls::table(*abi).name(*p)) text += fmt::format(" ({})", *n);
      }
    }
    out.push_back(std::move(text));
  }
  return out;
}

SyscallsInRegion syscalls_in_region(const WordSet& nr, const syscalls::Arch* abi, size_t limit) {
  SyscallsInRegion r;
  if (abi == nullptr) {
    r.unknown_numbers = true;
    return r;
  }
  // The region minus every named number: satisfiable iff the region also
  // holds numbers the table does not name.
  WordSet unnamed = nr;
  for (const syscalls::Syscall& s : syscalls::table(*abi).entries()) {
    unnamed.add(WordAtom::Ne(s.nr));
    if (!nr.contains(s.nr)) continue;
    ++r.total;
    if (r.names.size() < limit) r.names.push_back(fmt::format("{} ({})", s.name, s.nr));
  }
  r.unknown_numbers = unnamed.check() != Sat::kUnsat;
  if (r.unknown_numbers) r.unnamed_example = unnamed.witness();
  return r;
}

std::string explain_action_difference(Action a, Action b) {
  if (a == b || a.kind != b.kind) return "";
  if (!a.known() || !b.known())
    return "both act as KILL_PROCESS, as the kernel does for any unknown action value, but the return values differ";
  switch (a.kind) {
    case ActionKind::kTrap: return "the same action, but the SIGSYS handler reads a different si_errno";
    case ActionKind::kKillProcess:
    case ActionKind::kKillThread: return "the same action; the data differs in si_errno of the core-dump signal";
    case ActionKind::kAllow:
    case ActionKind::kLog:
    case ActionKind::kUserNotif: return "the kernel acts on both alike (it ignores this action's data)";
    case ActionKind::kErrno:
    case ActionKind::kTrace: return "";
  }
  return "";
}

}  // namespace sysfence::verify
