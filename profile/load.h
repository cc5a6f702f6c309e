// Helpers the subcommands share for the profile-related flags
// (compile, run, verify, sim, stats and explain all take them):
//   PROFILE            "default" (the built-in Docker profile), a path, or "-" (stdin)
//   --arch A           any spelling syscalls::parse_arch accepts, or "native"
//   --caps LIST        docker-default (the default) | all | none | CAP_X,CAP_Y,...
//   --kernel X.Y       the kernel includes/excludes minKernel compare with (default: uname)
//   --unknown-syscalls enosys|default
//   --arg-width        abi (default) | 64
//   --bad-arch ACTION  what an architecture the filter does not handle gets
//   --semantics S      sysfence (default) | runc | libseccomp: the defaults of
//                      the three flags above as that tool has them
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "base/expected.h"
#include "profile/caps.h"
#include "profile/reader.h"
#include "profile/resolve.h"
#include "syscalls/table.h"

namespace sysfence::profile {

// Largest profile file accepted (also the JSON reader's limit).
inline constexpr size_t kMaxProfileBytes = 16u << 20;

// "default" -> the built-in profile; "-" -> stdin (named "<stdin>"); else a
// file. A file literally called "default" is reached as "./default".
Expected<ReadResult> load_profile(std::string_view arg, const ReadOptions& options = {});

// Reads a whole file ("-" = stdin) up to `max_bytes`; errors name the file.
Expected<std::string> read_text_file(std::string_view path, size_t max_bytes = kMaxProfileBytes);

// "5.8", also a full release such as "6.18.3-arch1" (like moby, only
// major.minor count). Errors: `invalid kernel version "5": expected X.Y such as 5.8`.
Expected<syscalls::KernelVersion> parse_kernel_version(std::string_view s);
// The running kernel (uname -r), major.minor.
Expected<syscalls::KernelVersion> host_kernel_version();

// "enosys" | "default".
Expected<UnknownSyscalls> parse_unknown_syscalls(std::string_view s);

// "abi" | "64". Error: `invalid --arg-width "32": expected abi or 64`.
Expected<ArgWidthMode> parse_arg_width_mode(std::string_view s);

// --bad-arch: kill-process (sysfence's default) | kill-thread | kill (= kill-thread,
// libseccomp's SCMP_ACT_KILL, its default bad-arch action and so runc's and
// Docker's) | trap | errno[:N] (default EPERM) | log | allow, also spelled as
// the profile actions (SCMP_ACT_KILL_PROCESS, ...).
// Error: `invalid --bad-arch "x": expected kill-process, kill-thread, ...`.
Expected<Action> parse_bad_arch_action(std::string_view s);

// Whose choices the flags without a value take. A filter runc (or
// libseccomp alone) built answers differently from sysfence's in three
// places; `verify --semantics runc` proves a runc filter without spelling
// them out:
//                 --arg-width  --bad-arch   --unknown-syscalls
//   sysfence      abi          kill-process runc's rule (enosys unless the default allows)
//   runc          64           kill-thread  runc's rule (its ENOSYS stub)
//   libseccomp    64           kill-thread  default (no stub)
// An explicit flag wins over the preset.
enum class Semantics : uint8_t { kSysfence, kRunc, kLibseccomp };
// Error: `invalid --semantics "x": expected sysfence, runc or libseccomp`.
Expected<Semantics> parse_semantics(std::string_view s);

// The flag values as given; nullopt = the default.
struct ResolveFlags {
  std::optional<std::string> arch;              // default: native
  std::optional<std::string> caps;              // default: docker-default
  std::optional<std::string> kernel;            // default: the running kernel
  std::optional<std::string> unknown_syscalls;  // default: runc's rule
  std::optional<std::string> arg_width;         // default: abi
  std::optional<std::string> bad_arch;          // default: kill-process
  std::optional<std::string> semantics;         // default: sysfence
  bool strict = false;                          // --strict: a syscall name no ABI knows is an error
};
Expected<ResolveOptions> make_resolve_options(const ResolveFlags& flags);

// Prints each of the resolution's warnings as "sysfence: warning: ..." to
// `out` (the commands' stderr), so that every command that resolves a
// profile reports them the same way.
void print_warnings(const Resolution& resolution, std::FILE* out = stderr);

}  // namespace sysfence::profile
