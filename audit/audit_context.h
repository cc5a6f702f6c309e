// What every check of the program audit reads: the whole-program walk's
// facts, the ABIs the audit reads syscall numbers in, the per-syscall path
// sets (computed on demand under a shared budget) and the helpers that turn
// a path into a finding's evidence ("socket(0x100000026, 5, 0)",
// "instruction 57; rule default:482 (syscalls[12])"). Private to audit/.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/finding.h"
#include "audit/program_audit.h"
#include "base/seccomp.h"
#include "syscalls/arch.h"
#include "verify/paths.h"

namespace sysfence::audit {

inline bool permissive(ActionKind k) { return k == ActionKind::kAllow || k == ActionKind::kLog; }
inline bool permissive(Action a) { return permissive(a.kind); }
// `a` lets through more than `b` (kinds only: ERRNO(1) vs ERRNO(38) is no bypass).
inline bool looser(Action a, Action b) { return restrictiveness_rank(a.kind) > restrictiveness_rank(b.kind); }

std::string num(uint64_t v);
std::string plural(size_t n, std::string_view word);
// "a, b, c and 4 more"
std::string list_some(const std::vector<std::string>& items, size_t shown = 8);
// "5-7, 12, 20-23"
std::string ranges(const std::vector<uint32_t>& sorted);

// Bits the kernel reads of argument `i`; 0 when it does not read it.
unsigned kernel_bits(syscalls::ArchId abi, uint32_t nr, unsigned i);
// The index of the argument named `name` ("clone_flags"), else `fallback`.
unsigned arg_index(syscalls::ArchId abi, uint32_t nr, std::string_view name, unsigned fallback);
// "int domain", "const char *path", else "arg3".
std::string arg_decl(syscalls::ArchId abi, uint32_t nr, unsigned i);

// One ABI the audit reads syscall numbers in.
struct Abi {
  syscalls::ArchId id;
  uint32_t audit_arch;
  Endian endian;
  std::string_view name() const { return syscalls::arch(id).name; }
  unsigned lo_word(unsigned arg) const { return arg_lo_offset(arg, endian) / 4; }
  unsigned hi_word(unsigned arg) const { return arg_hi_offset(arg, endian) / 4; }
};

// The findings of one audit, in the order the checks report them.
class Findings {
 public:
  Finding& add(std::string_view id, Severity s, std::string message, std::string fix, std::string where = {}) {
    list_.push_back(Finding{id, s, std::move(message), std::move(fix), std::move(where), {}});
    return list_.back();
  }
  std::vector<Finding> take() { return std::move(list_); }

 private:
  std::vector<Finding> list_;
};

// A path and the first instruction on it that reads the words in question.
struct PathExample {
  verify::Path path;
  uint32_t pc = 0;
};

// What the walk over every input found.
struct ProgramFacts {
  verify::WalkStats stats;
  std::set<uint32_t> handled_arches;     // AUDIT_ARCH values pinned on a path that reads nr
  std::vector<bool> executed;            // instruction ran for some path's input
  std::optional<PathExample> unchecked;  // nr decided with the arch open
  uint64_t unchecked_paths = 0;
  // The AUDIT_ARCH values of the meant ABI's kernel (kernel_abis) that
  // some of those paths admit.
  std::set<uint32_t> unchecked_kernel_arches;
  std::optional<PathExample> ip;
  uint64_t ip_paths = 0;
  std::vector<std::string> unsupported;  // distinct reasons
  uint64_t unsupported_paths = 0;
  // The AUDIT_ARCH values of the meant ABI's kernel (kernel_abis) that a
  // path leaving the fragment admits: what the filter does there is unknown.
  std::set<uint32_t> unsupported_kernel_arches;
  // Past the replay budget, "no input runs it" is not claimed.
  bool traces_complete = true;
};

// The first permissive path of a syscall on one ABI.
struct Allowed {
  const Abi* abi;
  const verify::Path* path;
  bool unconditional;  // every input of the syscall is allowed
};

// Non-const in the checks' hands: the per-syscall path sets are walked on
// first use, and the walks and the arg-width comparisons draw on budgets
// shared by all checks (their order is the table's order).
class AuditContext {
 public:
  // Walks the whole program and chooses the ABIs (report scope lines go to
  // `scope`).
  AuditContext(const verify::PathExplorer& x, const ProgramAuditOptions& o);

  const verify::PathExplorer& explorer() const { return x_; }
  // What the audited program answers `w` — with a stack (options().stack),
  // what the whole stack answers.
  Action run(const SeccompWords& w) const;
  const ProgramAuditOptions& options() const { return o_; }
  const ProgramFacts& facts() const { return facts_; }
  const std::vector<Abi>& abis() const { return abis_; }
  const std::vector<std::string>& scope() const { return scope_; }
  const Abi* find_abi(syscalls::ArchId id) const;
  // The ABI the filter is written for: --arch, else the native one.
  const syscalls::Arch& meant_arch() const;
  // The ABIs a kernel of the meant ABI runs programs of: that ABI and its
  // compat ABIs (syscalls/compat.h; x32 left out: it shares x86_64's
  // AUDIT_ARCH value).
  std::vector<const syscalls::Arch*> kernel_abis() const;
  // The byte order for inputs no ABI of the audit claims.
  Endian default_endian() const { return meant_arch().endian; }

  // The paths of syscall `nr` on `abi` (every input with that arch and
  // number); with a stack, its joint paths (outcome.filter names the filter
  // that decides, outcome.where that filter's instruction).
  const std::vector<verify::Path>& view(const Abi& abi, uint32_t nr);
  bool view_truncated() const { return view_truncated_; }
  // Takes one (path, path) comparison from the arg-width budget; false (and
  // the report says `incomplete`) once it is spent.
  bool spend_pair();
  bool pairs_truncated() const { return pairs_truncated_; }

  // Whether the filter tells the ABI's syscalls apart (x32: not when it
  // answers every x32 number alike).
  bool tells_apart(const Abi& abi);
  // What the filter answers the holes of the ABI's table (the majority).
  std::optional<Action> default_action(const Abi& abi) const;
  // The profile's default action when there is one, else default_action.
  std::optional<Action> abi_default(const Abi& abi) const;
  bool default_is_permissive(const Abi& abi) const;
  // The first permissive path of syscall `name` on each ABI.
  std::vector<Allowed> allowed_on(std::string_view name);

  static std::optional<uint32_t> number(const Abi& abi, std::string_view name);
  static SeccompData data_of(const Abi& abi, const SeccompWords& w) { return from_words(w, abi.endian); }
  // "socket(0x100000026, 5, 0)": the arguments the kernel reads (at least
  // up to `must_show`).
  static std::string call(const Abi& abi, const SeccompWords& w, int must_show = -1);
  static std::string abi_list(const std::vector<Allowed>& a);
  // Where a decision comes from: the instruction, and with a profile the
  // rule that decides the same input; with a stack, the filter that decides
  // `w` and its instruction `pc`.
  std::string where(const Abi& abi, const verify::Path& p) const { return where(abi, p.witness, p.outcome.where); }
  std::string where(const Abi& abi, const SeccompWords& w, uint32_t pc) const;
  // With a profile: what decides input `w` there; empty without one.
  std::string profile_source(const Abi& abi, const SeccompWords& w) const;

 private:
  void whole_program_walk();
  std::vector<verify::Path> walk_view(std::span<const verify::Constraint> c, verify::WalkLimits limits,
                                      verify::WalkStats& stats) const;
  uint32_t first_use(const SeccompWords& input, uint32_t words) const;
  void choose_abis();
  void add_abi(uint32_t audit_arch);
  std::optional<Action> vote_on_holes(const Abi& abi) const;

  const verify::PathExplorer& x_;
  const ProgramAuditOptions& o_;
  ProgramFacts facts_;
  std::vector<Abi> abis_;
  std::vector<std::string> scope_;

  std::map<std::pair<size_t, uint32_t>, std::vector<verify::Path>> views_;
  bool view_truncated_ = false;
  // Bounds for hostile filters (2^N paths per syscall): paths kept per
  // syscall, paths kept over all syscalls, and (path, path) pairs the
  // arg-width check may compare. Past any of them the report says
  // `incomplete`.
  static constexpr uint64_t kViewPaths = 1024;
  uint64_t view_budget_ = 0;       // paths; set from max_paths
  uint64_t view_work_budget_ = 0;  // word constraints; set from max_work
  // The views' memory: a path holds every value its branches excluded, and
  // a filter of a thousand == tests on the arguments gives each of its paths
  // thousands (~3.5 KB a path, 700 MB at 200,000 paths). Past this the
  // views stay empty and the report says `incomplete`.
  static constexpr uint64_t kViewBytes = uint64_t{96} << 20;
  uint64_t view_bytes_left_ = kViewBytes;
  // Interpreter steps spent replaying whole-program paths (for unreachable
  // code); past the budget the replay stops and "no input runs it" is not
  // claimed.
  uint64_t trace_budget_ = 50'000'000;
  uint64_t pair_budget_ = 1'000'000;
  bool pairs_truncated_ = false;

  static constexpr uint32_t kMainBlockSpan = 4096;
  mutable std::map<syscalls::ArchId, std::optional<Action>> default_actions_;
};

}  // namespace sysfence::audit
