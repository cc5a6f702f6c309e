// Resolution: a Profile (as written) -> a Policy (what the filter must do) for
// one native architecture, capability set and kernel version — exactly what
// moby (profiles/seccomp setupSeccomp) and runc (libcontainer/seccomp,
// patchbpf) do with the same inputs. resolve.cc, resolve_rules.cc,
// resolve_store.cc and resolve_warnings.cc document each rule where it is
// applied.
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/expected.h"
#include "policy/policy.h"
#include "profile/caps.h"
#include "profile/multiplex.h"
#include "profile/profile.h"
#include "syscalls/table.h"

namespace sysfence::profile {

// What happens to syscall numbers above the largest one the profile names
// (syscalls newer than the profile).
enum class UnknownSyscalls : uint8_t {
  kEnosys,   // runc's stub: ERRNO(ENOSYS), so that libc falls back gracefully
  kDefault,  // the default action, as plain libseccomp filters do
};

// How an argument condition is compared (ArgCondition.width; policy.h).
enum class ArgWidthMode : uint8_t {
  // What the kernel sees (the default): an argument the kernel reads as 32
  // bits or fewer on that ABI (syscalls/arg_widths.h) is compared on its low
  // word only, every other argument on all 64 bits. Closes the hole where
  // socket(0x1_0000_0026, ...) passes a 64-bit "family != 38" test while the
  // kernel reads family 38 (AF_ALG).
  kAbi,
  // libseccomp's literal reading, what Docker's and runc's filters do:
  // every argument on all 64 bits on the 64-bit ABIs, and on its low word
  // (the operand truncated to 32 bits) on the ABIs libseccomp builds as
  // 32-bit (Arch::word_bits 32: i386, x32, arm, MIPS o32/n32, ppc, s390, ...).
  k64,
};

// What a syscall's rules mean when several of them match one input.
enum class RuleCombination : uint8_t {
  // sysfence: the most restrictive action among the matching rules wins
  // (policy.h), whatever the order of the profile's entries.
  kMostRestrictive,
  // libseccomp's rule database (what runc, Docker and Podman load), in
  // profile order: the first unconditional rule of a syscall wins and
  // replaces the conditional rules added before it; rules with equal
  // conditions and different actions make libseccomp refuse the profile
  // (EEXIST); so does an ERRNO above 4095 (EINVAL). rule_database.h.
  kLibseccompDatabase,
};

struct ResolveOptions {
  // The machine the container would run on; moby's archMap and
  // includes/excludes "arches" are matched against it.
  syscalls::ArchId native = syscalls::ArchId::kX86_64;
  // The container's capability (bounding) set, for includes/excludes "caps".
  CapSet caps;
  // The host kernel, for includes/excludes "minKernel" (major.minor only).
  syscalls::KernelVersion kernel{6, 1};
  // nullopt: runc's choice — kEnosys unless the default action is ALLOW, LOG
  // or TRACE (or already ERRNO(ENOSYS)).
  std::optional<UnknownSyscalls> unknown_syscalls;
  // For seccomp_data.arch values the filter does not cover. libseccomp (and
  // so runc) use SCMP_ACT_KILL = KILL_THREAD; sysfence defaults to
  // KILL_PROCESS, which also takes down the other threads.
  Action bad_arch_action = Action::KillProcess();
  // ArgCondition.width for every condition of every rule: kAbi takes the
  // width from syscalls::arg_info(abi, nr) (and, where the entry point or the
  // argument is unknown, syscalls::register_bits(abi)); k64 leaves every
  // condition k64.
  ArgWidthMode arg_width = ArgWidthMode::kAbi;
  // --strict: a syscall name no ABI knows is an error instead of a warning.
  bool unknown_names_are_errors = false;
  // How rules on socket and SysV IPC calls reach socketcall(2) / ipc(2) on
  // the ABIs that have them (profile/multiplex.h): sysfence's exact reading,
  // or libseccomp's rewrite (--semantics runc|libseccomp).
  MultiplexRewrite multiplex = MultiplexRewrite::kExact;
  // --rule-combination (preset by --semantics libseccomp|runc).
  RuleCombination combination = RuleCombination::kMostRestrictive;
  // --semantics runc: the profile goes to runc, so what some runc versions
  // refuse is noted (a profile's `flags`, which runc before 1.2.0 rejects).
  bool for_runc = false;
  // --libseccomp-optimize: the optimize level (SCMP_FLTATR_CTL_OPTIMIZE)
  // libseccomp's filter was written at, 1 (its default: syscalls in
  // priority order) or 2 (a binary tree by syscall number, which systemd and
  // runc above 32 syscall names ask for); 0: the semantics' own (runc's
  // choice under for_runc, else 1). Decides libseccomp's code generation
  // where it is modelled (the syscall-number load, blocks shared across
  // syscalls).
  unsigned libseccomp_optimize = 0;
};

// What became of one syscalls[] entry, index-aligned with Profile::syscalls.
enum class EntryFate : uint8_t {
  kApplied,        // produced rules (for the names the ABIs know)
  kFiltered,       // dropped by moby's includes/excludes; `why` says which
  kSameAsDefault,  // runc drops rules whose action equals the default action
};

// Which of moby's includes/excludes tests dropped an entry.
enum class FilterRule : uint8_t {
  kNone,
  kExcludesArches,     // excludes.arches holds the native arch
  kExcludesCaps,       // excludes.caps holds a capability the container has
  kExcludesMinKernel,  // the kernel is at least excludes.minKernel
  kIncludesArches,     // includes.arches lacks the native arch
  kIncludesCaps,       // includes.caps holds a capability the container lacks
  kIncludesMinKernel,  // the kernel is older than includes.minKernel
};

struct EntryOutcome {
  EntryFate fate = EntryFate::kApplied;
  FilterRule filtered_by = FilterRule::kNone;
  std::string detail;                 // for kFiltered: the capability, arch spelling or "X.Y" that decided
  Action action;                      // the entry's action after errno resolution
  bool split_repeated_index = false;  // runc's one-rule-per-condition split applies
  // For kFiltered by a minKernel test: the kernel the profile was resolved for.
  syscalls::KernelVersion kernel{};

  // For kFiltered, the test in words: "includes.caps: CAP_SYS_ADMIN is not
  // in the capability set". Written when asked (explain): resolving a
  // profile formats none.
  std::string why() const;
};

// What a condition says of the 32-bit value the kernel reads of an argument
// (ArgWidthMode::kAbi, ArgWidth::k32).
enum class NarrowReading : uint8_t {
  // The constant (MASKED_EQ: datum & mask) is the zero- or sign-extension of
  // a 32-bit value: the low words are compared (MASKED_EQ: the mask's too).
  kLowWord,
  // No 32-bit value satisfies it: >, >= or == a constant above 2^32 - 1, or
  // a MASKED_EQ whose datum & mask has bits above the low word.
  kNever,
  // Every 32-bit value satisfies it: <, <= or != such a constant.
  kAlways,
};

// What a resolution warns about: the profile says something it cannot mean.
enum class WarningKind : uint8_t {
  // A condition whose constant does not fit the bits the kernel reads of the
  // argument (neither zero- nor sign-extended): on some ABI of the filter the
  // rule tests bits the kernel ignores, so it cannot mean what it says. One
  // warning per condition and syscall name, listing the ABIs where it applies.
  kWidth,
  // A MASKED_EQ condition whose datum has bits outside its mask: libseccomp
  // (and so Docker) compares only datum & mask, so those bits mean nothing.
  // One warning per condition.
  kMaskedDatum,
  // A syscall name no ABI's table knows (a typo, or a syscall newer than the
  // tables): runc skips it without a word. One warning per entry and name.
  kUnknownName,
  // Two entries' rules for one syscall on one ABI match a common input with
  // different actions (data included): implementations disagree on which
  // wins. One warning per pair of entries (rule_database.h).
  kRuleConflict,
  // An ERRNO action whose errno is above 4095 (MAX_ERRNO): the kernel clamps
  // it to 4095, libseccomp (and so runc) refuses the profile; or an errnoRet
  // / defaultErrnoRet above 16 bits, of which runc keeps the low 16 (0: the
  // call is skipped and returns 0). One warning per entry (or the default
  // action) and cause.
  kErrnoRange,
  // An includes/excludes value that can never match: a capability no kernel
  // has, an arch spelling moby has for no machine (a typo). An includes
  // entry never applies; an excludes one never excludes. One warning per
  // value and entry.
  kFilterValue,
};

struct Warning {
  WarningKind kind = WarningKind::kWidth;
  policy::SourceRef rule;  // the entry (file, line, entry index)
  SourcePos pos;           // the condition (kWidth, kMaskedDatum) or the entry (kUnknownName)
  std::string syscall;     // the name as written; kMaskedDatum: the entry's names, ", "-separated
  uint8_t arg = 0;         // argument index (kWidth, kMaskedDatum)
  // kWidth:
  std::string arg_decl;   // "int family"; empty when the kernel's entry point is unknown
  unsigned bits = 0;      // bits the kernel reads
  uint64_t constant = 0;  // the offending operand (MASKED_EQ: mask or datum)
  std::vector<syscalls::ArchId> arches;
  policy::ArgWidth compared = policy::ArgWidth::k32;  // how the filter compares it
  // What the condition is taken to say (ArgWidthMode::kAbi and `compared`
  // k32; kLowWord otherwise): where it is decided, the rule is resolved
  // without it (kAlways) or matches nothing (kNever).
  NarrowReading reading = NarrowReading::kLowWord;
  policy::CmpOp op = policy::CmpOp::kEq;  // the condition's operator
  // kMaskedDatum:
  uint64_t mask = 0;
  uint64_t datum = 0;  // as written
  // kUnknownName: the nearest name some ABI knows, when one is close enough.
  std::string suggestion;
  // kRuleConflict: `rule`/`pos` is the earlier entry, `other`/`other_pos`
  // the later one; `syscall` the name on `arches[0]`; the answers of the two
  // combinations at `witness` (arguments both entries match).
  policy::SourceRef other;
  SourcePos other_pos;
  std::array<uint64_t, 6> witness{};
  Action most_restrictive;
  Action libseccomp;                // unset when libseccomp_refuses or libseccomp_unmodelled
  bool libseccomp_refuses = false;  // libseccomp refuses the profile (EEXIST)
  // libseccomp's answer at `witness` is its rule tree's, which sysfence does
  // not model there: no answer is given for it.
  bool libseccomp_unmodelled = false;
  // kWidth: "profile.json:12:7: syscalls[3]: socket argument 0 (int family)
  // is 32-bit on x86_64, i386, x32: constant 0x100000026 does not fit the
  // argument's width; ..."
  // kMaskedDatum: "profile.json:12:7: syscalls[3]: clone argument 0:
  // SCMP_CMP_MASKED_EQ datum 0x1ff has bits outside the mask 0xff (0x100);
  // libseccomp, and so Docker, compares only datum & mask (0xff): use datum & mask"
  // kUnknownName: "profile.json:9:5: unknown syscall \"getrandon\" (no
  // architecture has it; did you mean getrandom?)"
  // kRuleConflict: "p.json:9:5: syscalls[1] (ALLOW) and p.json:40:5:
  // syscalls[7] (ERRNO(1)) both match setns on x86_64, e.g. with arguments
  // 0, 0, ...: sysfence answers ERRNO(1) (the most restrictive); libseccomp,
  // and so runc, Docker and Podman, answers ALLOW (...)"
  // kErrnoRange: "p.json:9:5: syscalls[3]: errnoRet 5000 is above 4095 ..."
  std::string message;
  // How many warnings this one stands for: more than 1 for the line that
  // counts the unknown names past the listed ones, so that a caller capping
  // the warnings it prints can still count them all.
  size_t stands_for = 1;
};

struct Resolution {
  policy::Policy policy;
  std::vector<EntryOutcome> entries;
  // Human-readable observations: names some ABI knows but one of the filter's
  // does not (skipped there), archMap without an entry for the native arch,
  // truncated errno values, ...
  std::vector<std::string> notes;
  // Those of `notes` that say the rule combination asked for (libseccomp's
  // database: --semantics libseccomp, --rule-combination libseccomp) is not
  // modelled for some syscall, whose filter then answers otherwise than
  // libseccomp's on some inputs: printed as warnings, not only noted.
  std::vector<std::string> unmodelled_combination;
  // Those of `notes` that say libseccomp 2.5.4's filter loads no syscall
  // number for an ABI (profile/resolve_number_load.cc): the policy answers
  // every call there with the default action, as that filter does; printed
  // as warnings too.
  std::vector<std::string> number_load_lost;
  // The ABIs those notes are about: their rules went.
  std::vector<syscalls::ArchId> number_load_lost_arches;
  // The syscalls (ABI, number) whose rules are libseccomp 2.5.4's program's
  // paths rather than the profile's rules as written: its program compares
  // a word another test left, merges the rules' chains, or shares blocks
  // with another syscall's (a note says which); `explain` says so.
  std::vector<std::pair<syscalls::ArchId, uint32_t>> filter_paths;
  // The ABIs runc's choice of ENOSYS stub leaves without one (the profile's
  // `architectures` do not list them; a note says so): their syscalls newer
  // than the profile get the default action; `explain` says why.
  std::vector<syscalls::ArchId> without_enosys_stub;
  // Warnings (WarningKind), in the order: unknown names, errno ranges,
  // MASKED_EQ datums, rule conflicts, widths.
  std::vector<Warning> warnings;
  // MultiplexRewrite::kExact: the rules with argument conditions on socket
  // and SysV IPC calls that the multiplexer reaches without those conditions
  // (in profile order).
  std::vector<MultiplexGap> multiplex_gaps;
  // Carried through for the installer (not part of the decision function).
  std::vector<std::string> flags;
  std::string listener_path;
};

// The moby spellings of the native architecture that includes/excludes
// "arches" lists are matched against ("amd64", "arm64", "mipsel64", ...).
// Where moby's own tables disagree (loongarch64 / loong64, mipsel / mipsle,
// mips3l64n32 / mipsel64n32) every spelling is accepted.
std::span<const std::string_view> moby_arch_names(syscalls::ArchId id);

// The width ArgCondition.width gets in `mode` for argument `index` of
// syscall `nr` (seccomp_data.nr) on `abi`.
policy::ArgWidth condition_width(ArgWidthMode mode, syscalls::ArchId abi, uint32_t nr, unsigned index);

// Whether `value` survives the kernel keeping only the low `bits` bits of
// the register: it is the zero- or the sign-extension of its low `bits` bits.
bool fits_in_bits(uint64_t value, unsigned bits);

// How --arg-width abi reads a condition on a 32-bit argument (above).
NarrowReading narrow_reading(policy::CmpOp op, uint64_t value, uint64_t datum);

// Errors: "seccomp disabled" profiles (no defaultAction, no syscalls), NOTIFY
// as the default action or for write(2) (runc refuses both), an errno name
// the native arch does not have, and with unknown_names_are_errors a syscall
// name no ABI knows.
Expected<Resolution> resolve(const Profile& profile, const ResolveOptions& options);

}  // namespace sysfence::profile
