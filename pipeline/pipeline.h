// The chain every consumer of a profile runs: load -> resolve -> restrict
// ABIs -> compile -> prove, as small named stages and one function running
// them in order. The commands, `sysfence run`'s planner, the benchmarks and
// the fuzz targets all go through it, so that a profile means the same
// filter wherever it is compiled.
//
// The library never prints: what a user should see besides the result
// (strict findings of the reader, resolution warnings) comes back as data,
// also when a later stage fails, so that a caller can show the warnings that
// led up to an error.
//
// Usage:
//   pipeline::Request request;
//   request.profile = "docker.json";
//   request.resolve.native = syscalls::ArchId::kAarch64;
//   request.resolve.caps = profile::docker_default_caps();
//   auto built = pipeline::run(request);
//   if (!built) {
//     show(built.error().diagnostics);
//     return error(built.error().message);
//   }
//   show(built->diagnostics);
//   if (!built->proof->equivalent()) ...;  // a compiler bug
//   install(built->compiled->program);
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/expected.h"
#include "compiler/compile.h"
#include "pipeline/target_kernel.h"
#include "policy/policy.h"
#include "profile/profile.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"
#include "verify/equiv.h"
#include "verify/verify.h"

namespace sysfence::pipeline {

// The stages in the order run() takes them.
// kTargetKernel (apply_target_kernel with request.resolve.kernel) belongs
// to the resolution: it runs whenever kResolve does, and names its failures.
enum class Stage : uint8_t { kLoad, kResolve, kTargetKernel, kRestrictAbis, kCompile, kProve };

struct Request {
  // "default" (the built-in profile), a path, or "-" (stdin); with `text`
  // set, only the name the document goes by in messages.
  std::string profile = "default";
  // The document itself, when the caller already holds it (benchmarks,
  // fuzzers); nullopt: read `profile`.
  std::optional<std::string_view> text;
  profile::ReadOptions read;  // JSON limits; strict: unknown fields are an error
  profile::ResolveOptions resolve;
  // How the actions the target kernel (resolve.kernel) lacks are mapped.
  TargetOptions target;
  // The ABIs to keep, in any order; every one must be in the resolved
  // policy. Empty: all of them (the native arch and the sub-arches the
  // profile's archMap pairs with it).
  std::vector<syscalls::ArchId> keep_abis;
  compiler::CompileOptions compile;
  verify::EquivOptions prove;
  // The last stage run() runs: kRestrictAbis for the policy alone, kCompile
  // to skip the proof.
  Stage last = Stage::kProve;
};

// What a user should be told about the profile; none of it is an error.
struct Diagnostics {
  // The reader's strict findings when not in strict mode ("file:line:col:
  // /syscalls/3/comments: unknown field ...", in document order).
  std::vector<std::string> strict_findings;
  // Resolution warnings (profile::Warning::message).
  std::vector<std::string> warnings;
  // The warnings that stand for more than one (index into `warnings`, how
  // many): the resolver's line counting the unknown names it did not list.
  // The count of the warnings a capped listing leaves out includes them all.
  std::vector<std::pair<size_t, size_t>> counting_lines;
};

// A stage failed: which, why, and what the stages before it had to say.
struct Failure {
  Stage stage = Stage::kLoad;
  std::string message;
  Diagnostics diagnostics;
};

struct Result {
  profile::Profile profile;  // as read
  // Its policy made right for the target kernel (its notes say how) and
  // restricted to the kept ABIs.
  profile::Resolution resolution;
  // The downgrades applied ("SCMP_ACT_LOG -> SCMP_ACT_ALLOW").
  std::vector<std::string> downgrades;
  // Per ABI, the syscalls newer than the target kernel that answer ENOSYS
  // (TargetReport::newer_syscalls).
  std::vector<std::string> newer_syscalls;
  std::optional<compiler::Compiled> compiled;  // when last >= kCompile
  // When last == kProve. Not being equivalent is not a failure of the
  // pipeline: the caller decides (for sysfence's own output it is a bug).
  std::optional<verify::Verification> proof;
  Diagnostics diagnostics;
};

// The stages. Each is usable alone, for a caller that has its own input for
// one of them (verify proves a foreign program against the policy).
Expected<profile::ReadResult> load(const Request& request);
Expected<profile::Resolution> resolve(const profile::Profile& profile, const profile::ResolveOptions& options);
// Empty `keep`: no change. Error: an ABI the policy lacks ("arm is not an
// architecture of this filter (it has x86_64, i386, x32)").
Expected<void> restrict_abis(policy::Policy& policy, std::span<const syscalls::ArchId> keep);
Expected<compiler::Compiled> compile(const policy::Policy& policy, const compiler::CompileOptions& options);
// Whether the proof can take `policy` at all (prove and prove_stack check
// it first). Error: a syscall with more distinct conditional rules than the
// proof takes — the policy's (so the profile's) fault, not the program's.
Expected<void> provable(const policy::Policy& policy);
Expected<verify::Verification> prove(const bpf::Program& program, const policy::Policy& policy,
                                     const verify::EquivOptions& options);
// A filter stack (installation order, a name per filter) against the policy.
Expected<verify::Verification> prove_stack(std::vector<bpf::Program> stack, std::vector<std::string> names,
                                           const policy::Policy& policy, const verify::EquivOptions& options);

// The resolution's warnings as Diagnostics::warnings holds them.
std::vector<std::string> warning_messages(const profile::Resolution& resolution);
// Those of them that stand for more than one, as Diagnostics::counting_lines
// holds them.
std::vector<std::pair<size_t, size_t>> counting_lines(const profile::Resolution& resolution);

// Runs the stages up to request.last.
Expected<Result, Failure> run(const Request& request);

// The diagnostics as the CLI shows them, one line each, every one as
// "sysfence: warning: MESSAGE" (made one line): outside --strict a strict
// finding is a warning like the resolver's. Formatting only; the caller decides where they go.
std::vector<std::string> diagnostic_lines(const Diagnostics& diagnostics);
// The same lines, each ending in '\n', in one buffer: what a caller writes
// in one go (a line of its own per diagnostic cost a format and a write).
// At most kMaxWarningLines warnings, then one line counting the rest.
inline constexpr size_t kMaxWarningLines = 256;
std::string diagnostic_text(const Diagnostics& diagnostics);

}  // namespace sysfence::pipeline
