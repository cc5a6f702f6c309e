// sysfence record [--base PROFILE] [--args[=ioctl]] [-o FILE] -- CMD [ARGS...]
//
// Runs CMD, records every system call it and its descendants make
// (record/recorder.h) and writes a least-privilege profile for them
// (record/profile_gen.h): to FILE atomically, or to stdout after CMD has
// finished. The profile is written whenever CMD ran, whatever its exit
// status (a failing run is an observation too); sysfence then exits with
// CMD's status (128+N when a signal N ended it), like strace and time.
// 125: sysfence's own failure (bad usage included, as `sysfence run`), 126
// CMD cannot be run, 127 not found; nothing is written then.
#include <fmt/format.h>

#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "base/text.h"
#include "record/profile_gen.h"
#include "record/recorder.h"
#include "run/command.h"
#include "syscalls/arch.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/output.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kFlags[] = {
    {.name = "base"},
    {.name = "args"},
    {.name = "output", .short_name = 'o'},
};

constexpr std::string_view kUsage =
    "usage: sysfence record [--base PROFILE] [--args[=ioctl]] [-o FILE] -- CMD [ARGS...]";

int usage(std::string_view message) {
  fmt::print(stderr, "sysfence: {}\n{}\n", one_line(message), kUsage);
  return run::kExitOwnFailure;
}

int own_failure(std::string_view message) {
  fmt::print(stderr, "sysfence: {}\n", one_line(message));
  return run::kExitOwnFailure;
}

// `--args` takes an optional value: a bare `--args` (before the command)
// becomes `--args=` for the parser.
std::vector<std::string> with_args_value(std::span<const std::string> args) {
  std::vector<std::string> out(args.begin(), args.end());
  for (std::string& a : out) {
    if (a == "--") break;
    if (a == "--args") a = "--args=";
  }
  return out;
}

void summarise(const record::Recording& rec, const record::Generated& gen) {
  uint64_t calls = 0;
  for (const auto& [key, r] : rec.observations.calls) calls += r.count;
  fmt::print(stderr, "sysfence: recorded {} calls of {} distinct syscalls; {} profile entries\n", calls,
             rec.observations.calls.size(), gen.profile.syscalls.size());
  for (const std::string& u : gen.unnamed) fmt::print(stderr, "sysfence: note: no name for {}: left out\n", u);
  if (rec.term_signal != 0) {
    fmt::print(stderr, "sysfence: the command was killed by signal {} ({})\n", rec.term_signal,
               strsignal(rec.term_signal));
  } else if (rec.exit_code != 0) {
    fmt::print(stderr, "sysfence: the command exited with {}\n", rec.exit_code);
  }
}

int run_record_checked(std::span<const std::string> raw) {
  const std::vector<std::string> args = with_args_value(raw);
  auto parsed = cli::parse_args(args, kFlags, /*stop_at_first_positional=*/true);
  if (!parsed) return usage(parsed.error().message);
  if (parsed->after_dashdash.empty()) return usage("no command given");

  record::GenerateOptions gen;
  if (auto a = parsed->get("args")) {
    if (!a->empty() && *a != "ioctl") return usage(fmt::format("--args={}: the only value is ioctl", *a));
    gen.args = true;
    gen.ioctl_args = *a == "ioctl";
  }
  std::optional<policy::Policy> base;
  if (auto b = parsed->get("base")) {
    if (b->empty()) return usage("--base needs a profile: default or a path");
    if (*b == "-") return usage("--base -: the base cannot come from stdin, which belongs to the command");
    auto resolved = record::resolve_base(*b);
    if (!resolved) return own_failure(resolved.error().message);
    base = std::move(*resolved);
    gen.base = &*base;
  }
  const std::string output = parsed->get("output").value_or("-");
  if (output.empty()) return usage("-o needs a file name");

  auto rec = record::record_command(parsed->after_dashdash, {});
  if (!rec) {
    fmt::print(stderr, "sysfence: {}\n", one_line(rec.error().message));
    return rec.error().exit_code;
  }
  if (rec->exec_errno != 0) {
    fmt::print(stderr, "sysfence: cannot run {}: {}\n", parsed->after_dashdash[0], std::strerror(rec->exec_errno));
    return run::exit_code_for_exec_errno(rec->exec_errno);
  }
  const record::Generated generated = record::generate_profile(rec->observations, gen);
  summarise(*rec, generated);
  if (auto written = cli::write_output(output, record::profile_json(generated.profile)); !written) {
    return own_failure(written.error().message);
  }
  return rec->exit_code;
}

int run_record(std::span<const std::string> args) {
  try {
    return run_record_checked(args);
  } catch (const std::exception& e) {
    fmt::print(stderr, "sysfence: internal error: {}\n", e.what());
  } catch (...) {
    fmt::print(stderr, "sysfence: internal error\n");
  }
  return run::kExitOwnFailure;
}

constexpr cli::FlagHelp kFlagHelp[] = {
    {"--base PROFILE",
     "write only what PROFILE (default, or a JSON file; resolved for this machine) does not already allow"},
    {"--args",
     "argument rules for clone, unshare (namespace flags), socket (families), personality, prctl (options), as "
     "Docker's profile, never wider than what was seen"},
    {"--args=ioctl", "as --args, and ioctl by each request seen"},
    {"-o, --output FILE", "write the profile to FILE (atomically) instead of stdout"},
};

const cli::Registration kRegistration{{"record",
                                       "run a command and write a least-privilege profile of the syscalls it made",
                                       &run_record, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
