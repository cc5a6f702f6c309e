#include "audit/program_audit.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "bpf/flow.h"
#include "bpf/insn.h"
#include "profile/builtin.h"
#include "profile/errno_names.h"
#include "syscalls/arg_widths.h"
#include "syscalls/table.h"

namespace sysfence::audit {

using syscalls::ArchId;
using verify::Outcome;
using verify::WordAtom;
using verify::WordSet;

namespace {

constexpr uint32_t kX32Bit = 0x40000000U;       // __X32_SYSCALL_BIT
constexpr uint32_t kAuditArchLe = 0x40000000U;  // __AUDIT_ARCH_LE

// The namespace flags of clone(2)/unshare(2) (include/uapi/linux/sched.h),
// in the order a finding names them (the most dangerous first).
struct FlagName {
  uint32_t bit;
  std::string_view name;
};
constexpr FlagName kNamespaceFlags[] = {
    {0x10000000, "CLONE_NEWUSER"},   {0x00020000, "CLONE_NEWNS"},   {0x40000000, "CLONE_NEWNET"},
    {0x20000000, "CLONE_NEWPID"},    {0x08000000, "CLONE_NEWIPC"},  {0x04000000, "CLONE_NEWUTS"},
    {0x02000000, "CLONE_NEWCGROUP"}, {0x00000080, "CLONE_NEWTIME"},
};
// CLONE_NEWTIME shares its bit with CSIGNAL in clone(2): only unshare and
// clone3 take it.
constexpr uint32_t kCloneNamespaceMask = 0x7e020000U;
constexpr uint32_t kUnshareNamespaceMask = 0x7e020080U;

// personality(2) values Docker's default profile allows: PER_LINUX,
// PER_LINUX32, UNAME26, PER_LINUX32|UNAME26 and the query 0xffffffff.
constexpr uint32_t kSafePersonas[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffffU};

bool permissive(ActionKind k) { return k == ActionKind::kAllow || k == ActionKind::kLog; }
bool permissive(Action a) { return permissive(a.kind); }
// `a` lets through more than `b` (kinds only: ERRNO(1) vs ERRNO(38) is no bypass).
bool looser(Action a, Action b) { return restrictiveness_rank(a.kind) > restrictiveness_rank(b.kind); }

std::string num(uint64_t v) { return v < 10 ? fmt::format("{}", v) : fmt::format("{:#x}", v); }

std::string plural(size_t n, std::string_view word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

// "a, b, c and 4 more"
std::string list_some(const std::vector<std::string>& items, size_t shown = 8) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < shown; ++i) {
    if (i > 0) out += (i + 1 == items.size() && items.size() <= shown) ? " and " : ", ";
    out += items[i];
  }
  if (items.size() > shown) out += fmt::format(" and {} more", items.size() - shown);
  return out;
}

// "5-7, 12, 20-23"
std::string ranges(const std::vector<uint32_t>& sorted) {
  std::string out;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += i == j ? fmt::format("{}", sorted[i]) : fmt::format("{}-{}", sorted[i], sorted[j]);
    i = j + 1;
  }
  return out;
}

// One ABI the audit reads syscall numbers in.
struct Abi {
  ArchId id;
  uint32_t audit_arch;
  Endian endian;
  std::string_view name() const { return syscalls::arch(id).name; }
  unsigned lo_word(unsigned arg) const { return arg_lo_offset(arg, endian) / 4; }
  unsigned hi_word(unsigned arg) const { return arg_hi_offset(arg, endian) / 4; }
};

// Bits the kernel reads of argument `i`; 0 when it does not read it.
unsigned kernel_bits(ArchId abi, uint32_t nr, unsigned i) {
  auto info = syscalls::arg_info(abi, nr);
  if (info && info->known) return info->bits(i);
  return syscalls::register_bits(abi);
}

// The index of the argument named `name` ("clone_flags"), else `fallback`.
unsigned arg_index(ArchId abi, uint32_t nr, std::string_view name, unsigned fallback) {
  if (auto info = syscalls::arg_info(abi, nr); info && info->known)
    for (unsigned i = 0; i < info->count; ++i)
      if (info->args[i].name == name) return i;
  return fallback;
}

std::string arg_decl(ArchId abi, uint32_t nr, unsigned i) {
  if (auto info = syscalls::arg_info(abi, nr); info && info->known && i < info->count) {
    const auto& a = info->args[i];
    const bool pointer = !a.type.empty() && a.type.back() == '*';
    return fmt::format("{}{}{}", a.type, pointer ? "" : " ", a.name);
  }
  return fmt::format("arg{}", i);
}

class Auditor {
 public:
  Auditor(const verify::PathExplorer& x, const ProgramAuditOptions& o) : x_(x), o_(o) {}

  Report run() {
    view_budget_ = o_.max_paths;
    view_work_budget_ = o_.max_work;
    whole_program_walk();
    choose_abis();
    check_arch_unchecked();
    check_instruction_pointer();
    check_unreachable();
    check_undefined_action();
    for (const Abi& abi : abis_) {
      if (abi.id == ArchId::kX32) continue;  // checked with x86_64
      check_arg_width(abi);
    }
    if (const Abi* x32 = find_abi(ArchId::kX32)) check_arg_width(*x32);
    check_x32();
    if (!o_.skip_default_check) check_default_allow();
    check_enosys();
    check_seed_blocked();
    check_ptrace();
    check_personality();
    check_namespaces();
    check_incomplete();
    sort_findings(report_.findings);
    return std::move(report_);
  }

 private:
  const verify::PathExplorer& x_;
  const ProgramAuditOptions& o_;
  Report report_;

  // Whole-program walk results.
  verify::WalkStats stats_;
  std::set<uint32_t> handled_arches_;  // AUDIT_ARCH values pinned on a path that reads nr
  std::vector<bool> executed_;         // instruction ran for some path's input
  struct Example {
    verify::Path path;
    uint32_t pc = 0;
  };
  std::optional<Example> unchecked_;  // nr decided with the arch open
  uint64_t unchecked_paths_ = 0;
  std::optional<Example> ip_;
  uint64_t ip_paths_ = 0;
  std::vector<std::string> unsupported_;  // distinct reasons
  uint64_t unsupported_paths_ = 0;

  std::vector<Abi> abis_;
  std::map<std::pair<size_t, uint32_t>, std::vector<verify::Path>> views_;
  bool view_truncated_ = false;
  // Bounds for hostile filters (2^N paths per syscall): paths kept per
  // syscall, paths kept over all syscalls, and (path, path) pairs the
  // arg-width check may compare. Past any of them the report says
  // `incomplete`.
  static constexpr uint64_t kViewPaths = 1024;
  uint64_t view_budget_ = 0;       // paths; set from max_paths
  uint64_t view_work_budget_ = 0;  // word constraints; set from max_work
  // Interpreter steps spent replaying whole-program paths (for unreachable
  // code); past the budget the replay stops and "no input runs it" is not
  // claimed.
  uint64_t trace_budget_ = 50'000'000;
  bool traces_complete_ = true;
  uint64_t pair_budget_ = 1'000'000;
  bool pairs_truncated_ = false;

  Finding& add(std::string_view id, Severity s, std::string message, std::string fix, std::string where = {}) {
    report_.findings.push_back(Finding{id, s, std::move(message), std::move(fix), std::move(where), {}});
    return report_.findings.back();
  }

  // The byte order for inputs no ABI of the audit claims.
  Endian default_endian() const { return (o_.arch != nullptr ? *o_.arch : syscalls::native_arch()).endian; }

  // Whether the filter tells the ABI's syscalls apart. x32 joins the audit
  // with x86_64 (same AUDIT_ARCH); a filter that answers every x32 number
  // alike (the usual "x32 is a bad arch") does not handle it, and per-ABI
  // advice (ENOSYS, default action) does not apply there.
  bool tells_apart(const Abi& abi) {
    if (abi.id != ArchId::kX32) return true;
    std::optional<uint32_t> only;
    for (const auto& sys : syscalls::table(abi.id).entries())
      for (const verify::Path& p : view(abi, sys.nr)) {
        if (p.outcome.kind != Outcome::Kind::kAction) return true;
        if (only && *only != encode(p.outcome.action)) return true;
        only = encode(p.outcome.action);
      }
    return false;
  }

  const Abi* find_abi(ArchId id) const {
    for (const Abi& a : abis_)
      if (a.id == id) return &a;
    return nullptr;
  }

  // -------------------------------------------------------------------------
  // The whole program
  // -------------------------------------------------------------------------

  void whole_program_walk() {
    executed_.assign(x_.program().size(), false);
    stats_ = x_.walk({}, verify::WalkLimits(o_.max_paths, o_.max_work), [&](const verify::Path& p) {
      if (traces_complete_) {
        const auto pcs = x_.trace(p.witness);
        for (uint32_t pc : pcs) executed_[pc] = true;
        trace_budget_ -= std::min<uint64_t>(trace_budget_, pcs.size());
        if (trace_budget_ == 0) traces_complete_ = false;
      }
      if (p.outcome.kind == Outcome::Kind::kUnsupported) {
        ++unsupported_paths_;
        const std::string what = fmt::format("instruction {}: {}", p.outcome.where, p.outcome.reason);
        if (unsupported_.size() < 4 && std::find(unsupported_.begin(), unsupported_.end(), what) == unsupported_.end())
          unsupported_.push_back(what);
      }
      const WordSet& nr = p.words[verify::kWordNr];
      const WordSet& arch = p.words[verify::kWordArch];
      const auto pinned = arch.pinned();
      if (!nr.unconstrained()) {
        if (pinned) handled_arches_.insert(*pinned);
        else if (++unchecked_paths_ == 1) unchecked_ = Example{p, first_use(p.witness, 1u << verify::kWordNr)};
      }
      if (!p.words[verify::kWordIpLo].unconstrained() || !p.words[verify::kWordIpHi].unconstrained()) {
        if (++ip_paths_ == 1)
          ip_ = Example{p, first_use(p.witness, (1u << verify::kWordIpLo) | (1u << verify::kWordIpHi))};
      }
    });
  }

  // The first jump (or `ret A`) on `input`'s path that reads one of `words`.
  uint32_t first_use(const SeccompWords& input, uint32_t words) const {
    for (const verify::WordUse& u : x_.word_uses(input))
      if (u.words & words) return u.pc;
    return 0;
  }

  void choose_abis() {
    auto add_abi = [&](uint32_t audit_arch) {
      const syscalls::Arch* chosen = nullptr;
      if (o_.arch != nullptr && o_.arch->audit_arch == audit_arch && o_.arch->id != ArchId::kX32) chosen = o_.arch;
      if (o_.arch != nullptr && o_.arch->id == ArchId::kX32 && audit_arch == o_.arch->audit_arch)
        chosen = &syscalls::arch(ArchId::kX86_64);
      for (const auto& a : syscalls::all_arches())
        if (chosen == nullptr && a.audit_arch == audit_arch && a.id != ArchId::kX32) chosen = &a;
      if (chosen == nullptr) {
        report_.scope.push_back(
            fmt::format("AUDIT_ARCH value {:#x}: no ABI sysfence knows; its syscalls are not "
                        "examined",
                        audit_arch));
        return;
      }
      const Endian e = (audit_arch & kAuditArchLe) != 0 ? Endian::kLittle : Endian::kBig;
      if (find_abi(chosen->id) == nullptr) abis_.push_back(Abi{chosen->id, audit_arch, e});
      if (chosen->id == ArchId::kX86_64 && find_abi(ArchId::kX32) == nullptr)
        abis_.push_back(Abi{ArchId::kX32, audit_arch, e});
    };
    for (uint32_t a : handled_arches_) add_abi(a);
    // A filter that never fixes the arch still decides by number: read the
    // numbers in the ABI it was written for.
    const syscalls::Arch& wanted = o_.arch != nullptr ? *o_.arch : syscalls::native_arch();
    if (unchecked_ || stats_.truncated || abis_.empty()) add_abi(wanted.audit_arch);
    if (o_.arch != nullptr && !handled_arches_.contains(o_.arch->audit_arch) && !unchecked_ && !stats_.truncated) {
      SeccompData d;
      d.arch = o_.arch->audit_arch;
      const Action a = x_.run(to_words(d, o_.arch->endian)).action();
      add(check::kAbiNotHandled, Severity::kInfo,
          fmt::format("the filter does not tell syscalls apart on {} (AUDIT_ARCH {:#x}): every call there is "
                      "answered {}",
                      o_.arch->name, o_.arch->audit_arch, to_string(a)),
          "audit with the --arch the filter was written for, or add that ABI to the filter");
    }
    // The ABI the filter is for first, x32 right after x86_64, then by value.
    const syscalls::Arch& first = o_.arch != nullptr ? *o_.arch : syscalls::native_arch();
    auto rank = [&](const Abi& a) {
      const bool is_first = a.id == first.id || (first.id == ArchId::kX32 && a.id == ArchId::kX86_64);
      return std::make_tuple(is_first ? 0 : 1, a.audit_arch, a.id == ArchId::kX32 ? 1 : 0);
    };
    std::stable_sort(abis_.begin(), abis_.end(), [&](const Abi& a, const Abi& b) { return rank(a) < rank(b); });
    std::string names;
    for (const Abi& a : abis_) names += fmt::format("{}{}", names.empty() ? "" : ", ", a.name());
    report_.scope.push_back(fmt::format("program: {}, {}{}; ABIs: {}", plural(x_.program().size(), "instruction"),
                                        plural(stats_.paths, "path"), stats_.truncated ? " (budget reached)" : "",
                                        names.empty() ? "none" : names));
  }

  // The paths of syscall `nr` on `abi` (every input with that arch and number).
  const std::vector<verify::Path>& view(const Abi& abi, uint32_t nr) {
    const auto key = std::make_pair(static_cast<size_t>(abi.id), nr);
    auto it = views_.find(key);
    if (it != views_.end()) return it->second;
    const verify::Constraint c[] = {{verify::kWordArch, WordAtom::Eq(abi.audit_arch)},
                                    {verify::kWordNr, WordAtom::Eq(nr)}};
    verify::WalkStats s;
    auto paths = x_.paths(c, verify::WalkLimits(std::min(kViewPaths, view_budget_), view_work_budget_), &s);
    view_budget_ -= std::min<uint64_t>(view_budget_, paths.size());
    view_work_budget_ -= std::min<uint64_t>(view_work_budget_, s.atoms);
    view_truncated_ = view_truncated_ || s.truncated;
    return views_.emplace(key, std::move(paths)).first->second;
  }

  static std::optional<uint32_t> number(const Abi& abi, std::string_view name) {
    return syscalls::table(abi.id).number(name);
  }

  static SeccompData data_of(const Abi& abi, const SeccompWords& w) { return from_words(w, abi.endian); }

  // "socket(0x100000026, 5, 0)": the arguments the kernel reads (at least
  // up to `must_show`).
  static std::string call(const Abi& abi, const SeccompWords& w, int must_show = -1) {
    const SeccompData d = data_of(abi, w);
    const auto name = syscalls::table(abi.id).name(d.nr);
    unsigned count = 6;
    if (auto info = syscalls::arg_info(abi.id, d.nr); info && info->known) count = info->count;
    count = std::max<unsigned>(count, static_cast<unsigned>(must_show + 1));
    std::string args;
    for (unsigned i = 0; i < count && i < 6; ++i) args += fmt::format("{}{}", i ? ", " : "", num(d.args[i]));
    return fmt::format("{}({})", name ? std::string(*name) : fmt::format("syscall_{}", d.nr), args);
  }

  // Where a decision comes from: the instruction, and with a profile the
  // rule that decides the same input.
  std::string where(const Abi& abi, const verify::Path& p) const { return where(abi, p.witness, p.outcome.where); }
  std::string where(const Abi& abi, const SeccompWords& w, uint32_t pc) const {
    const std::string rule = profile_source(abi, w);
    return fmt::format("instruction {}{}{}", pc, rule.empty() ? "" : "; ", rule);
  }
  // With a profile: what decides input `w` there ("rule default:482
  // (syscalls[12])", "the profile's defaultAction"); empty without one.
  std::string profile_source(const Abi& abi, const SeccompWords& w) const {
    if (o_.intent == nullptr) return {};
    const SeccompData d = data_of(abi, w);
    const policy::Decision dec = policy::evaluate(*o_.intent, d);
    if (dec.rule != nullptr) {
      const auto& src = dec.rule->source;
      if (src.line != 0) return fmt::format("rule {}:{} (syscalls[{}])", src.file, src.line, src.entry);
      return fmt::format("rule {}", src.file);
    }
    if (dec.arch == nullptr) return "the bad-arch action";
    if (dec.arch->enosys_above && d.nr > *dec.arch->enosys_above) return "the ENOSYS answer for newer syscalls";
    return "the profile's defaultAction";
  }

  // -------------------------------------------------------------------------
  // Checks
  // -------------------------------------------------------------------------

  void check_arch_unchecked() {
    if (!unchecked_) return;
    const verify::Path& p = unchecked_->path;
    // Show the number on a real ABI the path admits, preferably one the
    // filter handles nowhere else (the confusion the check is about).
    const WordSet& arch_set = p.words[verify::kWordArch];
    const syscalls::Arch& meant = o_.arch != nullptr ? *o_.arch : syscalls::native_arch();
    auto score = [&](const syscalls::Arch& a) {  // lower is a better example
      return (a.audit_arch == meant.audit_arch ? 2 : 0) + (handled_arches_.contains(a.audit_arch) ? 1 : 0);
    };
    const syscalls::Arch* shown = nullptr;
    for (const auto& a : syscalls::all_arches()) {
      if (a.id == ArchId::kX32 || !arch_set.contains(a.audit_arch)) continue;
      if (shown == nullptr || score(a) < score(*shown)) shown = &a;
    }
    SeccompWords w = p.witness;
    std::string example;
    const uint32_t nr = w[verify::kWordNr];
    const Action action = x_.run(w).action();
    if (shown != nullptr) {
      w[verify::kWordArch] = shown->audit_arch;
      const Action again = x_.run(w).action();
      const auto meaning = syscalls::table(shown->id).name(nr);
      example = fmt::format("nr {} under AUDIT_ARCH {:#x} ({}: {}) is answered {}", nr, shown->audit_arch, shown->name,
                            meaning ? std::string(*meaning) : std::string("no such syscall"), to_string(again));
      if (meant.id != shown->id)
        if (auto m = syscalls::table(meant.id).name(nr)) example += fmt::format(" as if it were {} {}", meant.name, *m);
    } else {
      example = fmt::format("nr {} with arch {:#x} is answered {}", nr, w[verify::kWordArch], to_string(action));
    }
    add(check::kArchUnchecked, Severity::kCritical,
        fmt::format("the filter decides on the syscall number without knowing the ABI on {}: {}",
                    plural(unchecked_paths_, "path"), example),
        "load seccomp_data.arch first and return KILL_PROCESS for every arch the filter was not written for",
        fmt::format("instruction {}", unchecked_->pc))
        .inputs = {from_words(w, shown != nullptr ? shown->endian : default_endian())};
  }

  void check_instruction_pointer() {
    if (!ip_) return;
    add(check::kInstructionPointer, Severity::kMedium,
        fmt::format("decisions depend on seccomp_data.instruction_pointer ({}; e.g. ip {:#x} is answered {}): any "
                    "code in the process can jump to an allowed syscall instruction, so this is no security "
                    "boundary",
                    plural(ip_paths_, "path"),
                    (uint64_t{ip_->path.witness[verify::kWordIpHi]} << 32) | ip_->path.witness[verify::kWordIpLo],
                    to_string(x_.run(ip_->path.witness).action())),
        "decide on the syscall and its arguments only", fmt::format("instruction {}", ip_->pc))
        .inputs = {from_words(ip_->path.witness, default_endian())};
  }

  void check_unreachable() {
    const auto facts = bpf::analyze_flow(x_.program());
    std::vector<uint32_t> no_jump;
    std::vector<uint32_t> no_input;
    for (uint32_t i = 0; i < facts.size(); ++i) {
      if (!facts[i].reached) no_jump.push_back(i);
      else if (!executed_[i]) no_input.push_back(i);
    }
    // Without every path walked, "no input runs it" is not known.
    const bool complete = !stats_.truncated && unsupported_paths_ == 0 && traces_complete_;
    if (!complete) no_input.clear();
    if (no_jump.empty() && no_input.empty()) return;
    std::string what;
    if (!no_jump.empty())
      what =
          fmt::format("{} {} no jump reaches", no_jump.size() == 1 ? "instruction" : "instructions", ranges(no_jump));
    if (!no_input.empty())
      what += fmt::format("{}{} {} never executed for any seccomp_data (their tests contradict earlier ones)",
                          what.empty() ? "" : "; ", no_input.size() == 1 ? "instruction" : "instructions",
                          ranges(no_input));
    add(check::kUnreachable, Severity::kLow, what,
        "remove the dead code, or fix the jump offsets or tests that were meant to reach it");
  }

  // `ret K` with action bits no SECCOMP_RET_* action has: the kernel kills
  // the process, which such a value rarely means (a typo, a lost shift).
  void check_undefined_action() {
    const bpf::Program& prog = x_.program();
    const auto facts = bpf::analyze_flow(prog);
    std::vector<uint32_t> where;
    for (uint32_t i = 0; i < prog.size(); ++i) {
      if (prog[i].code == (bpf::kRet | bpf::kRetK) && facts[i].reached && !decode(prog[i].k).known())
        where.push_back(i);
    }
    if (where.empty()) return;
    add(check::kUndefinedAction, Severity::kLow,
        fmt::format("{} {} {} {:#010x}, which selects no seccomp action: the kernel kills the process",
                    where.size() == 1 ? "instruction" : "instructions", ranges(where),
                    where.size() == 1 ? "returns" : "return values such as", prog[where.front()].k),
        "return the SECCOMP_RET_* action meant (KILL_PROCESS when killing is meant)");
  }

  void check_arg_width(const Abi& abi) {
    std::vector<std::string> quiet;  // 64-bit comparisons without a bypass
    for (const auto& sys : syscalls::table(abi.id).entries()) {
      const std::vector<verify::Path>& paths = view(abi, sys.nr);
      for (unsigned i = 0; i < 6; ++i) {
        const unsigned bits = kernel_bits(abi.id, sys.nr, i);
        if (bits == 0 || bits > 32) continue;
        const unsigned hw = abi.hi_word(i);
        const bool tested = std::any_of(paths.begin(), paths.end(), [&](const verify::Path& p) {
          return p.outcome.kind == Outcome::Kind::kAction && !p.words[hw].unconstrained();
        });
        if (!tested) continue;
        if (!find_width_bypass(abi, sys, i, bits, paths))
          quiet.push_back(fmt::format("{} {}", sys.name, arg_decl(abi.id, sys.nr, i)));
      }
    }
    if (!quiet.empty())
      add(check::kArgWidth, Severity::kLow,
          fmt::format("on {} the filter compares the high word of {} the kernel reads as 32-bit ({}); no input "
                      "gets a looser answer that way, but the tests are dead weight",
                      abi.name(), plural(quiet.size(), "argument"), list_some(quiet, 6)),
          "compare only the low 32 bits of those arguments (sysfence compile --arg-width=abi)");
  }

  // Two inputs the kernel cannot tell apart — equal except in the high word
  // of argument `i`, which it ignores — answered differently, the one with a
  // dirty high word more loosely: the pair (loose path, tight path) where
  // the tight one admits the clean high word (zero-, or for a negative low
  // word sign-extended) and every other word admits a common value.
  bool find_width_bypass(const Abi& abi, const syscalls::Syscall& sys, unsigned i, unsigned bits,
                         const std::vector<verify::Path>& paths) {
    const unsigned hw = abi.hi_word(i);
    const unsigned lw = abi.lo_word(i);
    for (const verify::Path& loose : paths) {
      if (loose.outcome.kind != Outcome::Kind::kAction) continue;
      for (const verify::Path& tight : paths) {
        if (tight.outcome.kind != Outcome::Kind::kAction || !looser(loose.outcome.action, tight.outcome.action))
          continue;
        if (pair_budget_ == 0) {
          pairs_truncated_ = true;
          return false;
        }
        --pair_budget_;
        // The loose input's high word is neither extension of any low word
        // (0 or 0xffffffff): a value no 32-bit caller produces. Discrepancies
        // between the zero- and the sign-extended form of one value are no
        // bypass: both are ordinary ways to pass it.
        const WordAtom dirty_atoms[] = {WordAtom::Ne(0), WordAtom::Ne(0xffffffffU)};
        auto dirty = restrict(loose.words[hw], dirty_atoms);
        if (!dirty) continue;
        // The example: the smallest dirty high word when the path admits it
        // (socket(0x1_0000_0026, ...)).
        const uint32_t dirty_hi = dirty->contains(1) ? 1 : dirty->witness();
        for (const uint32_t clean_hi : {0U, 0xffffffffU}) {
          if (!tight.words[hw].contains(clean_hi)) continue;
          SeccompWords x{};
          bool ok = true;
          for (unsigned w = 0; w < verify::kWordCount && ok; ++w) {
            if (w == hw) {
              x[w] = dirty_hi;
              continue;
            }
            const bool negative_low = w == lw && clean_hi == 0xffffffffU;
            // Cheap first: one side's witness inside the other side's set.
            const uint32_t a = loose.witness[w];
            const uint32_t b = tight.witness[w];
            if (!negative_low && tight.words[w].contains(a)) {
              x[w] = a;
              continue;
            }
            if (!negative_low && loose.words[w].contains(b)) {
              x[w] = b;
              continue;
            }
            auto both = intersect(loose.words[w], tight.words[w]);
            if (both && negative_low) {
              const WordAtom negative[] = {WordAtom::Ge(0x80000000U)};
              both = restrict(*both, negative);
            }
            if (!both) ok = false;
            else x[w] = both->witness();
          }
          if (!ok) continue;
          SeccompWords clean = x;
          clean[hw] = clean_hi;
          const Action got = x_.run(x).action();
          const Action meant = x_.run(clean).action();
          if (!looser(got, meant)) continue;  // not confirmed by the interpreter: keep looking
          add(check::kArgWidth, permissive(got) ? Severity::kHigh : Severity::kMedium,
              fmt::format("{} on {}: argument {} ({}) is {}-bit to the kernel but the filter compares all 64 bits: "
                          "{} is answered {}, while {} — the same call to the kernel — is answered {}",
                          sys.name, abi.name(), i, arg_decl(abi.id, sys.nr, i), bits, call(abi, x, static_cast<int>(i)),
                          to_string(got), call(abi, clean, static_cast<int>(i)), to_string(meant)),
              fmt::format("compare only the low 32 bits of {} argument {} (sysfence compile --arg-width=abi)", sys.name,
                          i),
              where(abi, x, loose.outcome.where))
              .inputs = {data_of(abi, x), data_of(abi, clean)};
          return true;
        }
      }
    }
    return false;
  }

  void check_x32() {
    const Abi* x32 = find_abi(ArchId::kX32);
    const Abi* x64 = find_abi(ArchId::kX86_64);
    if (x32 == nullptr || x64 == nullptr) return;
    const bool meant = o_.intent == nullptr || o_.intent->find(ArchId::kX32) != nullptr;
    std::vector<std::string> names;
    std::optional<std::pair<SeccompWords, uint32_t>> example;
    for (const auto& sys : syscalls::table(ArchId::kX32).entries()) {
      const std::vector<verify::Path>& paths = view(*x32, sys.nr);
      const verify::Path* allowed = nullptr;
      for (const verify::Path& p : paths)
        if (p.outcome.kind == Outcome::Kind::kAction && permissive(p.outcome.action)) allowed = allowed ? allowed : &p;
      if (allowed == nullptr) continue;
      if (meant) {
        // Raw filter (or a profile with x32): flag only what the x86_64 side
        // denies outright — the filter's author meant to block it.
        auto n64 = number(*x64, sys.name);
        if (!n64) continue;
        const std::vector<verify::Path>& p64 = view(*x64, *n64);
        const bool denied = !p64.empty() && std::all_of(p64.begin(), p64.end(), [](const verify::Path& p) {
          return p.outcome.kind == Outcome::Kind::kAction && !permissive(p.outcome.action);
        });
        if (!denied) continue;
      }
      names.push_back(fmt::format("{} ({:#x})", sys.name, sys.nr));
      if (!example) example = std::make_pair(allowed->witness, allowed->outcome.where);
    }
    if (names.empty()) return;
    const std::string why = meant ? "although the filter denies the same syscalls as x86_64 syscalls"
                                  : "although the profile does not list SCMP_ARCH_X32";
    add(check::kX32, Severity::kCritical,
        fmt::format("x32 syscall numbers (bit 30 set under AUDIT_ARCH_X86_64) reach ALLOW {}: {}", why,
                    list_some(names)),
        "under AUDIT_ARCH_X86_64, answer nr 0x40000000..0xfffffffe with the bad-arch action unless x32 is meant "
        "to be supported (and then filter the x32 numbers like the x86_64 ones); leave 0xffffffff (-1, a tracer "
        "skipping the call) to the x86_64 rules",
        where(*x32, example->first, example->second))
        .inputs = {data_of(*x32, example->first)};
  }

  // Holes in an ABI's table (numbers no syscall has) below its largest
  // number: only a filter's default action can decide them.
  // What the filter answers the holes of the ABI's table (the majority),
  // computed once per ABI: check_seed_blocked asks for every syscall.
  std::optional<Action> default_action(const Abi& abi) const {
    const auto cached = default_actions_.find(abi.id);
    if (cached != default_actions_.end()) return cached->second;
    return default_actions_[abi.id] = vote_on_holes(abi);
  }

  // Only the holes of the table's main block count: ARM's private calls sit
  // at 0x0f0001, about a million numbers above the rest, and the numbers in
  // between are "newer than the table" (answered ENOSYS by runc's stub), not
  // holes; running a 700-instruction chain on each of them took seconds.
  std::optional<Action> vote_on_holes(const Abi& abi) const {
    const auto& table = syscalls::table(abi.id);
    if (table.size() == 0) return std::nullopt;
    const uint32_t first = table.entries().front().nr;
    uint32_t block_end = first;  // one past the last number of the main block
    for (const auto& e : table.entries()) {
      if (e.nr - first < kMainBlockSpan) block_end = std::max(block_end, e.nr + 1);
    }
    std::map<uint32_t, size_t> votes;  // encoded action -> holes answering it
    for (uint32_t nr = first; nr < block_end; ++nr) {
      if (table.find(nr) != nullptr) continue;
      SeccompData d;
      d.arch = abi.audit_arch;
      d.nr = nr;
      ++votes[x_.run(to_words(d, abi.endian)).ret];
    }
    if (votes.empty()) return std::nullopt;
    const auto best =
        std::max_element(votes.begin(), votes.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    return decode(best->first);
  }
  static constexpr uint32_t kMainBlockSpan = 4096;
  mutable std::map<syscalls::ArchId, std::optional<Action>> default_actions_;

  // The ABI's default action: the profile's when there is one, else what
  // the filter answers the holes of the ABI's table.
  std::optional<Action> abi_default(const Abi& abi) const {
    if (o_.intent != nullptr) {
      if (const policy::ArchPolicy* ap = o_.intent->find(abi.id)) return ap->default_action;
    }
    return default_action(abi);
  }

  bool default_is_permissive(const Abi& abi) const {
    auto a = abi_default(abi);
    return a && permissive(*a);
  }

  void check_default_allow() {
    std::vector<std::string> abis;
    for (const Abi& abi : abis_) {
      if (!tells_apart(abi)) continue;
      auto a = default_action(abi);
      if (a && permissive(*a)) abis.push_back(fmt::format("{} ({})", abi.name(), to_string(*a)));
    }
    if (abis.empty()) return;
    add(check::kDefaultAllow, Severity::kHigh,
        fmt::format("the default action allows every syscall the filter does not name, including ones added in "
                    "later kernels, on {}",
                    list_some(abis)),
        "deny by default (ERRNO(EPERM) or KILL_PROCESS) and allow the syscalls the workload needs");
  }

  void check_enosys() {
    std::vector<std::string> abis;
    std::optional<std::pair<const Abi*, SeccompWords>> example;
    for (const Abi& abi : abis_) {
      const auto& table = syscalls::table(abi.id);
      if (table.size() == 0 || !tells_apart(abi)) continue;
      SeccompData d;
      d.arch = abi.audit_arch;
      d.nr = table.max_nr() + 1;
      const SeccompWords w = to_words(d, abi.endian);
      const Action a = x_.run(w).action();
      if (permissive(a) || a == Action::Errno(profile::enosys(abi.id))) continue;
      abis.push_back(fmt::format("{} (nr {} is answered {})", abi.name(), d.nr, to_string(a)));
      if (!example) example = std::make_pair(&abi, w);
    }
    if (abis.empty()) return;
    add(check::kNoEnosys, Severity::kLow,
        fmt::format("syscalls newer than the filter are not answered ENOSYS, so libc cannot fall back to older "
                    "ones (clone3 to clone, faccessat2 to faccessat): {}",
                    list_some(abis)),
        "answer numbers above the newest syscall the filter knows with ERRNO(ENOSYS) (sysfence compile "
        "--unknown-syscalls enosys)",
        profile_source(*example->first, example->second))
        .inputs = {data_of(*example->first, example->second)};
  }

  // The first permissive path of syscall `name` on each ABI.
  struct Allowed {
    const Abi* abi;
    const verify::Path* path;
    bool unconditional;  // every input of the syscall is allowed
  };
  std::vector<Allowed> allowed_on(std::string_view name) {
    std::vector<Allowed> out;
    for (const Abi& abi : abis_) {
      auto nr = number(abi, name);
      if (!nr) continue;
      const std::vector<verify::Path>& paths = view(abi, *nr);
      const verify::Path* first = nullptr;
      bool all = !paths.empty();
      for (const verify::Path& p : paths) {
        const bool ok = p.outcome.kind == Outcome::Kind::kAction && permissive(p.outcome.action);
        if (ok && first == nullptr) first = &p;
        all = all && ok;
      }
      if (first != nullptr) out.push_back(Allowed{&abi, first, all});
    }
    return out;
  }

  static std::string abi_list(const std::vector<Allowed>& a) {
    std::vector<std::string> names;
    names.reserve(a.size());
    for (const Allowed& x : a) names.emplace_back(x.abi->name());
    return list_some(names);
  }

  void check_seed_blocked() {
    // Where the default action allows, every syscall the filter does not
    // name is allowed: one finding lists them (default-allow says why).
    std::vector<std::string> by_default;
    for (const auto& [name, reason] : profile::seed_blocked_reasons()) {
      if (name == "ptrace" || name == "personality" || name == "unshare" || name == "clone") continue;  // own checks
      auto allowed = allowed_on(name);
      const auto defaulted = std::partition(allowed.begin(), allowed.end(),
                                            [&](const Allowed& a) { return !default_is_permissive(*a.abi); });
      if (defaulted != allowed.end()) by_default.emplace_back(name);
      allowed.erase(defaulted, allowed.end());
      if (allowed.empty()) continue;
      const bool always = std::all_of(allowed.begin(), allowed.end(), [](const Allowed& a) { return a.unconditional; });
      const Allowed& ex = allowed.front();
      add(check::kSeedBlocked, always ? Severity::kMedium : Severity::kLow,
          fmt::format("{} is allowed{} on {} (e.g. {}); Docker's default profile blocks it: {}", name,
                      always ? "" : " for some inputs", abi_list(allowed), call(*ex.abi, ex.path->witness), reason),
          fmt::format("deny {} unless the workload needs it", name), where(*ex.abi, *ex.path))
          .inputs = {data_of(*ex.abi, ex.path->witness)};
    }
    if (!by_default.empty()) {
      std::vector<std::string> abis;
      for (const Abi& abi : abis_)
        if (default_is_permissive(abi)) abis.emplace_back(abi.name());
      add(check::kSeedBlocked, Severity::kMedium,
          fmt::format("with the default action allowing on {}, {} Docker's default profile blocks are allowed: {}",
                      list_some(abis), plural(by_default.size(), "syscall"), list_some(by_default, 60)),
          "deny by default; `sysfence explain NAME` gives the reason Docker blocks each");
    }
  }

  void check_ptrace() {
    const auto allowed = allowed_on("ptrace");
    if (allowed.empty()) return;
    const Allowed& ex = allowed.front();
    add(check::kPtrace, Severity::kMedium,
        fmt::format("ptrace is allowed{} on {} (e.g. {}): {} Before Linux 4.8 a tracer could also change a "
                    "syscall after seccomp checked it",
                    ex.unconditional ? "" : " for some inputs", abi_list(allowed), call(*ex.abi, ex.path->witness),
                    profile::seed_reason("ptrace").value_or("")),
        "deny ptrace unless the workload debugs or traces its own processes", where(*ex.abi, *ex.path))
        .inputs = {data_of(*ex.abi, ex.path->witness)};
  }

  void check_personality() {
    std::vector<std::string> abis;
    std::optional<std::pair<const Abi*, SeccompWords>> example;
    uint32_t example_pc = 0;
    for (const Allowed& a : allowed_on("personality")) {
      // Every permissive path, not only the first: is a persona outside the
      // safe ones admitted anywhere?
      const uint32_t nr = a.path->witness[verify::kWordNr];
      for (const verify::Path& p : view(*a.abi, nr)) {
        if (p.outcome.kind != Outcome::Kind::kAction || !permissive(p.outcome.action)) continue;
        std::vector<WordAtom> unsafe;
        for (uint32_t v : kSafePersonas) unsafe.push_back(WordAtom::Ne(v));
        auto lo = restrict(p.words[a.abi->lo_word(0)], unsafe);
        if (!lo) continue;
        abis.emplace_back(a.abi->name());
        if (!example) {
          SeccompWords w = p.witness;
          // Prefer personas that weaken the process: READ_IMPLIES_EXEC,
          // ADDR_NO_RANDOMIZE.
          uint32_t v = lo->witness();
          for (uint32_t preferred : {0x0400000U, 0x0040000U})
            if (lo->contains(preferred)) {
              v = preferred;
              break;
            }
          w[a.abi->lo_word(0)] = v;
          example = std::make_pair(a.abi, w);
          example_pc = p.outcome.where;
        }
        break;
      }
    }
    if (abis.empty()) return;
    add(check::kPersonality, Severity::kMedium,
        fmt::format("personality accepts personas other than PER_LINUX, PER_LINUX32, UNAME26 and the query "
                    "0xffffffff on {} (e.g. {}): {}",
                    list_some(abis), call(*example->first, example->second),
                    profile::seed_reason("personality").value_or("")),
        "allow personality only for 0x0, 0x8, 0x20000, 0x20008 and 0xffffffff, as Docker's default profile does",
        where(*example->first, example->second, example_pc))
        .inputs = {data_of(*example->first, example->second)};
  }

  // Which of `mask`'s namespace flags some permissive path of `nr` admits in
  // argument `arg`'s low word, with an example input.
  struct NamespaceHit {
    std::vector<std::string> flags;
    SeccompWords example{};
    uint32_t pc = 0;
  };
  std::optional<NamespaceHit> namespace_flags(const Abi& abi, uint32_t nr, unsigned arg, uint32_t mask) {
    NamespaceHit hit;
    bool any = false;
    for (const FlagName& f : kNamespaceFlags) {
      if ((f.bit & mask) == 0) continue;
      for (const verify::Path& p : view(abi, nr)) {
        if (p.outcome.kind != Outcome::Kind::kAction || !permissive(p.outcome.action)) continue;
        const WordAtom has_flag[] = {WordAtom::MaskedEq(f.bit, f.bit)};
        auto lo = restrict(p.words[abi.lo_word(arg)], has_flag);
        if (!lo) continue;
        hit.flags.emplace_back(f.name);
        if (!any) {
          hit.example = p.witness;
          hit.example[abi.lo_word(arg)] = lo->witness();
          hit.pc = p.outcome.where;
          any = true;
        }
        break;
      }
    }
    if (!any) return std::nullopt;
    return hit;
  }

  void check_namespaces() {
    struct Hit {
      const Abi* abi;
      NamespaceHit ns;
    };
    for (const std::string_view name : {std::string_view("clone"), std::string_view("unshare")}) {
      const bool is_clone = name == "clone";
      std::vector<Hit> hits;
      for (const Abi& abi : abis_) {
        auto nr = number(abi, name);
        if (!nr) continue;
        const unsigned arg = is_clone ? arg_index(abi.id, *nr, "clone_flags", 0) : 0;
        if (auto h = namespace_flags(abi, *nr, arg, is_clone ? kCloneNamespaceMask : kUnshareNamespaceMask))
          hits.push_back(Hit{&abi, std::move(*h)});
      }
      if (hits.empty()) continue;
      std::vector<std::string> abis;
      abis.reserve(hits.size());
      for (const Hit& h : hits) abis.emplace_back(h.abi->name());
      std::string flags;
      for (const auto& f : hits.front().ns.flags) flags += fmt::format("{}{}", flags.empty() ? "" : "|", f);
      add(is_clone ? check::kCloneNamespaces : check::kUnshare, Severity::kHigh,
          fmt::format("{} may create namespaces on {}: {} reachable (e.g. {}): {}", name, list_some(abis), flags,
                      call(*hits.front().abi, hits.front().ns.example), profile::seed_reason(name).value_or("")),
          is_clone ? "allow clone only when (flags & 0x7e020000) == 0 (no CLONE_NEW* flag), as Docker's default "
                     "profile does without CAP_SYS_ADMIN"
                   : "deny unshare, or allow it only without CLONE_NEW* flags",
          where(*hits.front().abi, hits.front().ns.example, hits.front().ns.pc))
          .inputs = {data_of(*hits.front().abi, hits.front().ns.example)};
    }
    // clone3 keeps its flags in memory, out of a filter's reach.
    const auto clone3 = allowed_on("clone3");
    if (!clone3.empty()) {
      const Allowed& ex = clone3.front();
      add(check::kCloneNamespaces, Severity::kHigh,
          fmt::format("clone3 is allowed on {}: its flags live in a struct in memory, which a seccomp filter "
                      "cannot read, so CLONE_NEW* flags cannot be refused",
                      abi_list(clone3)),
          "answer clone3 with ERRNO(ENOSYS): libc falls back to clone, whose flags the filter can check",
          where(*ex.abi, *ex.path))
          .inputs = {data_of(*ex.abi, ex.path->witness)};
    }
  }

  void check_incomplete() {
    if (unsupported_paths_ > 0) {
      add(check::kIncomplete, Severity::kInfo,
          fmt::format("{} leave the symbolic fragment ({}); checks that need those paths may miss findings",
                      plural(unsupported_paths_, "path"), list_some(unsupported_, 4)),
          "");
    }
    if (stats_.truncated || view_truncated_ || pairs_truncated_) {
      add(check::kIncomplete, Severity::kInfo,
          fmt::format("the filter has more paths than the audit's budget ({} paths, {} word constraints); "
                      "findings may be missing",
                      o_.max_paths, o_.max_work),
          "");
    }
  }
};

}  // namespace

Report audit_program(const verify::PathExplorer& program, const ProgramAuditOptions& options) {
  return Auditor(program, options).run();
}

Expected<Report> audit_program(std::span<const bpf::Insn> program, const ProgramAuditOptions& options) {
  auto explorer = verify::PathExplorer::create(bpf::Program(program.begin(), program.end()));
  if (!explorer) return fail(explorer.error().message);
  return audit_program(*explorer, options);
}

}  // namespace sysfence::audit
