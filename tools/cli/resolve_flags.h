// The profile-resolution flags, taken alike by every command that resolves a
// profile (compile, verify, audit, explain, sim, stats, run):
//   --caps LIST        docker-default (the default) | all | none | CAP_X,CAP_Y,...
//   --kernel X.Y       the target kernel: includes/excludes minKernel compare
//                      with it, and the filter uses only the actions it knows
//                      (default: uname)
//   --downgrade-actions FROM=TO,...  how to map the actions it lacks
//   --unknown-syscalls enosys|default
//   --arg-width        abi (default) | 64
//   --bad-arch ACTION  what an architecture the filter does not handle gets
//   --rule-combination most-restrictive (default) | libseccomp: how several
//                      rules for one syscall combine (profile::RuleCombination)
//   --semantics S      sysfence (default) | runc | libseccomp: the defaults of
//                      the four flags above and --multiplex as that tool
//                      has them
//   --multiplex M      exact (default) | libseccomp: how rules on socket and
//                      SysV IPC calls reach socketcall(2) / ipc(2)
//   --strict           unknown fields (and other strict findings) are an error
// Here the flag strings become typed options (profile::ResolveOptions,
// profile::ReadOptions, pipeline::Request); nothing below tools/ sees them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"
#include "base/seccomp.h"
#include "pipeline/pipeline.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_help.h"

namespace sysfence::cli {

// The shared flags, appended by each resolving command to its own
// (with_resolve_flags), so that all of them take exactly the same set.
inline constexpr FlagSpec kResolveFlagSpecs[] = {
    {.name = "caps"},
    {.name = "kernel"},
    {.name = "downgrade-actions"},
    {.name = "unknown-syscalls"},
    {.name = "arg-width"},
    {.name = "bad-arch"},
    {.name = "rule-combination"},
    {.name = "semantics"},
    {.name = "multiplex"},
    {.name = "libseccomp-optimize"},
    {.name = "strict", .takes_value = false},
};
inline constexpr size_t kResolveFlagCount = std::size(kResolveFlagSpecs);

// A command's own flags followed by the shared ones.
template <size_t N>
constexpr std::array<FlagSpec, N + kResolveFlagCount> with_resolve_flags(const FlagSpec (&own)[N]) {
  std::array<FlagSpec, N + kResolveFlagCount> out{};
  for (size_t i = 0; i < N; ++i) out[i] = own[i];
  for (size_t i = 0; i < kResolveFlagCount; ++i) out[N + i] = kResolveFlagSpecs[i];
  return out;
}

// Their lines in `sysfence COMMAND --help`, after the command's own, so that
// every resolving command describes them alike. `--caps` stays with each
// command: `run` also takes `current`.
inline constexpr FlagHelp kResolveFlagHelp[] = {
    {"--kernel X.Y", help::kKernel},
    {"--downgrade-actions FROM=TO,..", help::kDowngradeActions},
    {"--unknown-syscalls enosys|default", help::kUnknownSyscalls},
    {"--arg-width abi|64", help::kArgWidth},
    {"--bad-arch ACTION", help::kBadArch},
    {"--rule-combination most-restrictive|libseccomp", help::kRuleCombination},
    {"--semantics sysfence|runc|libseccomp", help::kSemantics},
    {"--multiplex exact|libseccomp", help::kMultiplex},
    {"--libseccomp-optimize 1|2", help::kLibseccompOptimize},
    {"--strict", help::kStrict},
};

// A command's own help lines followed by the shared ones.
template <size_t N>
constexpr std::array<FlagHelp, N + std::size(kResolveFlagHelp)> with_resolve_help(const FlagHelp (&own)[N]) {
  std::array<FlagHelp, N + std::size(kResolveFlagHelp)> out{};
  for (size_t i = 0; i < N; ++i) out[i] = own[i];
  for (size_t i = 0; i < std::size(kResolveFlagHelp); ++i) out[N + i] = kResolveFlagHelp[i];
  return out;
}

// The first shared flag given ("caps"), for commands whose other mode (a
// raw filter) takes none of them; nullopt when none is.
// `except`: a flag that also applies without a profile (audit's and stats'
// --kernel, which says which calls the kernel never filters).
std::optional<std::string_view> first_resolve_flag(const ParsedArgs& parsed, std::string_view except = {});

// "enosys" | "default".
Expected<profile::UnknownSyscalls> parse_unknown_syscalls(std::string_view s);
// "most-restrictive" | "libseccomp".
Expected<profile::RuleCombination> parse_rule_combination(std::string_view s);
// "abi" | "64". Error: `invalid --arg-width "32": expected abi or 64`.
Expected<profile::ArgWidthMode> parse_arg_width_mode(std::string_view s);
// kill-process (sysfence's default) | kill-thread | kill (= kill-thread,
// libseccomp's SCMP_ACT_KILL, its default bad-arch action and so runc's and
// Docker's) | trap | errno[:N] (default EPERM) | log | allow, also spelled as
// the profile actions (SCMP_ACT_KILL_PROCESS, ...).
// Error: `invalid --bad-arch "x": expected kill-process, kill-thread, ...`.
Expected<Action> parse_bad_arch_action(std::string_view s);

// "log=allow,kill-process=kill-thread": FROM is an action kind
// (kill-process, log, user-notif or any other --bad-arch spelling, also
// SCMP_ACT_NOTIFY), TO an action as --bad-arch takes it. Error: `invalid
// --downgrade-actions "log": expected FROM=TO[,FROM=TO...]`; the same FROM
// twice.
Expected<std::vector<pipeline::Downgrade>> parse_downgrades(std::string_view spec);

// Whose choices the flags without a value take. A filter runc (or
// libseccomp alone) built answers differently from sysfence's in four
// places; `verify --semantics runc` proves a runc filter without spelling
// them out:
//                 --arg-width  --bad-arch   --unknown-syscalls                         --rule-combination
//                 socketcall/ipc
//   sysfence      abi          kill-process runc's rule (enosys unless the default allows) most-restrictive    exact
//   runc          64           kill-thread  runc's rule (its ENOSYS stub)                libseccomp libseccomp's
//   rewrite libseccomp    64           kill-thread  default (no stub)                            libseccomp
//   libseccomp's rewrite
// An explicit flag wins over the preset; the last column is --multiplex
// (ResolveOptions::multiplex, profile/multiplex.h).
enum class Semantics : uint8_t { kSysfence, kRunc, kLibseccomp };
// Error: `invalid --semantics "x": expected sysfence, runc or libseccomp`.
Expected<Semantics> parse_semantics(std::string_view s);
// "exact" | "libseccomp". Error: `invalid --multiplex "x": expected exact or libseccomp`.
Expected<profile::MultiplexRewrite> parse_multiplex(std::string_view s);

// --kernel X.Y, else the running kernel.
Expected<syscalls::KernelVersion> target_kernel(const ParsedArgs& parsed);

// The shared flags -> ResolveOptions for `native`; defaults: Docker's
// capabilities, the running kernel. `caller_sets_caps`: --caps holds a value
// of the caller's own (run's "current") and is left alone.
Expected<profile::ResolveOptions> resolve_options(const ParsedArgs& parsed, syscalls::ArchId native,
                                                  bool caller_sets_caps = false);
// --downgrade-actions, and whether --bad-arch chose the bad-arch action.
Expected<pipeline::TargetOptions> target_options(const ParsedArgs& parsed);
// --strict.
profile::ReadOptions read_options(const ParsedArgs& parsed);

// --arch "x86_64,i386": the first is the native arch of the resolution; a
// list of more than one keeps only those ABIs (one alone keeps the
// sub-arches the profile pairs with it).
struct ArchList {
  const syscalls::Arch* native = nullptr;
  std::vector<syscalls::ArchId> keep;  // empty: keep all
};
Expected<ArchList> parse_arch_list(std::string_view spec);

// The request for PROFILE resolved as the shared flags and `arches` say.
// The stages to run and the compile options are the caller's.
Expected<pipeline::Request> pipeline_request(const ParsedArgs& parsed, std::string profile, const ArchList& arches);

// Prints the diagnostics to stderr, one line each (pipeline::diagnostic_text),
// the same way for every command.
void print_diagnostics(const pipeline::Diagnostics& diagnostics);
// Warnings of the command's other inputs (the --weights file's unknown
// names), printed as the profile's are: "sysfence: warning: ..." each.
void print_warnings(std::span<const std::string> warnings);

// pipeline::run, with the diagnostics printed (also those gathered before a
// failure, so a warning that explains an error is not lost).
Expected<pipeline::Result, pipeline::Failure> run_pipeline(const pipeline::Request& request);

}  // namespace sysfence::cli
