// Working on several recorded profiles at once: `record --merge` (the union
// of several runs: a test suite, staging traffic) and `record --diff` (what
// a new version of a program needs that the old one did not).
//
// Both read Docker profiles with the positioned reader, so errors name the
// file and line:col. merge works on the documents (an allowlist of names and
// argument rules, as the recorder writes them); diff works on their meaning:
// both are resolved for one machine and compared per ABI and syscall, so
// entries that are only reordered or regrouped are no difference.
#pragma once

#include <boost/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "base/expected.h"
#include "policy/policy.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"

namespace sysfence::record {

// A profile document and the name it goes by in messages (a path).
struct NamedText {
  std::string name;
  std::string text;
};

// The union of allowlist profiles, as pretty-printed Docker profile JSON:
//  - every input has the same defaultAction (and errno); else an error
//    naming both files;
//  - every syscalls[] entry is SCMP_ACT_ALLOW; else an error naming the
//    entry's file:line:col (the union of other actions has no single meaning);
//  - architectures, archMap (per architecture, its sub-architectures) and
//    flags: the union; listenerPath: the same in every input that sets one;
//  - per includes/excludes filter (the ABI or capability set an entry
//    applies to) one entry with the union of the names allowed without
//    argument rules; argument rules kept exactly, one entry per distinct
//    filter and rule with the union of its names; a name allowed without
//    argument rules everywhere the rule applies makes the rule redundant,
//    so it is dropped from the rule;
//  - every entry without a comment of its own gets one naming the inputs
//    (Docker's profile format has no top-level comment).
// The output is sorted (names, entries, architectures), so it depends on
// what the inputs allow, not on how they were written.
Expected<std::string> merge_profiles(std::span<const NamedText> inputs);

// What one profile allows that another does not, for one syscall on some
// ABIs.
struct SyscallChange {
  enum class Kind : uint8_t {
    kSyscall,    // the syscall with any arguments
    kRule,       // one argument rule: the syscall when all `conditions` hold
    kArguments,  // both allow it for some arguments, differently, but no
                 // allowing argument rule of either reaches beyond the
                 // other (deny rules with conditions differ): see `explain`
  };
  Kind kind = Kind::kSyscall;
  std::string name;
  std::vector<syscalls::ArchId> abis;            // where the change holds, in ArchId order
  std::vector<policy::ArgCondition> conditions;  // kRule
  // kSyscall: the other profile allows the syscall for some arguments only
  // (rather than not at all).
  bool other_allows_some = false;
  friend bool operator==(const SyscallChange&, const SyscallChange&) = default;
};

struct ProfileDelta {
  std::string old_name;
  std::string new_name;
  syscalls::ArchId native = syscalls::ArchId::kX86_64;  // the machine both were resolved for
  std::vector<syscalls::ArchId> abis;                   // the ABIs compared (of either profile), in ArchId order
  // What the new profile allows and the old one does not: syscalls, and
  // argument rules of the new one that allow calls the old one does not
  // (a rule the old one's rules already cover is no change).
  std::vector<SyscallChange> added;
  std::vector<SyscallChange> removed;  // the same the other way round
  std::vector<SyscallChange> changed;  // kArguments changes
  // What resolving either profile had to say (strict findings, warnings),
  // as the CLI prints them ("sysfence: warning: ...").
  std::vector<std::string> diagnostics;
  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
};

struct DiffOptions {
  // The machine to resolve both profiles for; by default this one, with
  // Docker's default capabilities.
  profile::ResolveOptions resolve = default_resolve();
  static profile::ResolveOptions default_resolve();
};

// Compares what the two profiles allow (ALLOW or LOG; every other action
// counts as denying) per ABI and syscall, on the policies the pipeline
// resolves them to. Syscalls decided by argument conditions are compared
// with the symbolic equivalence checker, so rules that are rewritten but
// mean the same are no difference.
Expected<ProfileDelta> diff_profiles(const NamedText& old_profile, const NamedText& new_profile,
                                     const DiffOptions& options = {});

// The text form, one line per change:
//   + openat2 (x86_64, x32)
//   + socket (x86_64) if arg0 == 16 (AF_NETLINK) [low 32 bits]
//   - clone (i386)
//   ~ ioctl (x86_64): the arguments it is allowed with differ
// or one line saying there is no difference.
std::vector<std::string> delta_text(const ProfileDelta& delta);

// The `--format json` body (docs/json.md, `record --diff`); the CLI adds
// the version/sysfence/command head.
boost::json::object delta_json(const ProfileDelta& delta);

}  // namespace sysfence::record
