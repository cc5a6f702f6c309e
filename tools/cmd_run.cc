// sysfence run [--profile PROFILE|default|unconfined]
//              [--security-opt seccomp=PATH|seccomp:PATH|seccomp=unconfined]
//              [--security-opt no-new-privileges[=true|false]] [--caps LIST|current] [--kernel X.Y] [--unknown-syscalls
//              enosys|default] [--arg-width abi|64]
//              [--bad-arch ACTION] [--semantics S] [--strict] [--log] [--tsync]
//              [--trace-denials] -- CMD [ARGS...]
//
// Runs CMD under the profile as `docker run --security-opt seccomp=...`
// runs a container's process (run/run.h). Exit status: CMD's; 125 for
// sysfence's own failures (bad usage included, as `docker run`), 126 when
// CMD cannot be run, 127 when it is not found.
#include <fmt/format.h>

#include <string>

#include "base/text.h"
#include "run/command.h"
#include "run/plan.h"
#include "run/run.h"
#include "syscalls/arch.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/resolve_flags.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kOwnFlags[] = {
    {.name = "profile"},
    {.name = "security-opt", .repeatable = true},
    {.name = "log", .takes_value = false},
    {.name = "tsync", .takes_value = false},
    {.name = "trace-denials", .takes_value = false},
};
constexpr auto kFlags = cli::with_resolve_flags(kOwnFlags);

constexpr std::string_view kUsage =
    "usage: sysfence run [--profile PROFILE|default|unconfined] "
    "[--security-opt seccomp=PATH|seccomp:PATH|seccomp=unconfined] [--security-opt no-new-privileges[=BOOL]] "
    "[--caps LIST|current] [--kernel X.Y] "
    "[--unknown-syscalls enosys|default] [--arg-width abi|64] [--bad-arch ACTION] [--semantics S] [--strict] "
    "[--log] [--tsync] [--trace-denials] -- CMD [ARGS...]";

int usage(std::string_view message) {
  fmt::print(stderr, "sysfence: {}\n{}\n", one_line(message), kUsage);
  return run::kExitOwnFailure;
}

int run_run_checked(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags, /*stop_at_first_positional=*/true);
  if (!parsed) return usage(parsed.error().message);
  if (parsed->after_dashdash.empty()) return usage("no command given");
  // `run default -- CMD` (compile's spelling of the profile) would run a
  // command named "default": everything from the first argument that is not
  // a flag is the command.
  if (const auto& cmd = parsed->after_dashdash;
      cmd.size() >= 2 && cmd[1] == "--" &&
      (cmd[0] == "default" || cmd[0] == "unconfined" || cmd[0].ends_with(".json"))) {
    return usage(fmt::format("{} -- CMD would run {} as the command; the profile goes in --profile {}", cmd[0],
                             quote(cmd[0]), cmd[0]));
  }

  run::RunRequest request;
  std::optional<run::ProfileChoice> from_security_opt;
  for (const std::string& opt : parsed->all("security-opt")) {
    auto choice = run::parse_security_opt(opt);
    if (!choice) return usage(choice.error().message);
    if (choice->no_new_privileges) request.no_new_privileges = choice->no_new_privileges;
    if (!choice->seccomp) continue;
    if (from_security_opt) return usage("more than one --security-opt seccomp=... given");
    from_security_opt = choice->seccomp;
  }
  if (from_security_opt && parsed->has("profile")) {
    return usage("give the profile either with --profile or with --security-opt seccomp=..., not both");
  }
  if (from_security_opt) {
    request.profile = *from_security_opt;
  } else if (auto p = parsed->get("profile")) {
    if (p->empty()) return usage("--profile needs a value: default, unconfined or a path");
    if (*p == "-") return usage("--profile -: the profile cannot come from stdin, which belongs to the command");
    request.profile.profile = *p;
  }
  // Resolved for this machine, with Docker's capabilities as every command
  // (--caps current: this process's own).
  const auto caps = parsed->get("caps");
  const bool current_caps = caps && *caps == "current";
  auto resolve = cli::resolve_options(*parsed, syscalls::native_arch().id, /*caller_sets_caps=*/current_caps);
  if (!resolve) {
    // A bad value, not bad usage: the message alone, as for a bad profile.
    fmt::print(stderr, "sysfence: {}\n", one_line(resolve.error().message));
    return run::kExitOwnFailure;
  }
  request.filter.resolve = std::move(*resolve);
  auto target = cli::target_options(*parsed);
  if (!target) {
    fmt::print(stderr, "sysfence: {}\n", one_line(target.error().message));
    return run::kExitOwnFailure;
  }
  request.filter.target = std::move(*target);
  request.filter.current_caps = current_caps;
  // The note on the capabilities is for a set nobody chose: Docker's default.
  request.filter.caps_chosen = caps.has_value();
  request.filter.read = cli::read_options(*parsed);
  request.filter.log = parsed->has("log");
  request.filter.tsync = parsed->has("tsync");
  request.trace_denials = parsed->has("trace-denials");
  request.command = parsed->after_dashdash;
  return run::run(request);
}

// No exception may escape with main's exit code 2: run's own failures are 125.
int run_run(std::span<const std::string> args) {
  return cli::run_guarded(&run_run_checked, args, run::kExitOwnFailure);
}

constexpr cli::FlagHelp kOwnFlagHelp[] = {
    {"--profile PROFILE", "default (Docker's, built in; the default), unconfined (no filter) or a JSON file"},
    {"--security-opt seccomp=PATH", "the same as docker run: seccomp=PATH, seccomp:PATH or seccomp=unconfined"},
    {"--security-opt no-new-privileges[=BOOL]",
     "set no_new_privs, as docker run (default: only when needed, i.e. without CAP_SYS_ADMIN, said on stderr)"},
    {"--caps LIST|current",
     "the capabilities the profile is resolved for: docker-default (the default), all, none, a list, or current "
     "(this process's effective set)"},
    {"--log", "install with SECCOMP_FILTER_FLAG_LOG: the kernel logs every action but ALLOW"},
    {"--tsync", "install with SECCOMP_FILTER_FLAG_TSYNC: every thread of sysfence gets the filter"},
    {"--trace-denials", "print every call the filter does not allow, with its arguments and the rule that decided"},
};
constexpr auto kFlagHelp = cli::with_resolve_help(kOwnFlagHelp);

const cli::Registration kRegistration{
    {"run", "run a command under a profile (docker run --security-opt seccomp=...)", &run_run, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
