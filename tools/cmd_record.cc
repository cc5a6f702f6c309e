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
//
// sysfence record --pid PID [--duration S] [--base P] [--args] [-o FILE]
// records a running process instead (record/attach.h) until it is gone,
// SIGINT/SIGTERM or S seconds; exit 0 once the profile is written, 125
// when it cannot be traced.
//
// sysfence record --merge A.json B.json ... [-o FILE]
// sysfence record --diff OLD.json NEW.json [--arch A] [--caps ..] [--format text|json]
// work on recorded profiles (record/profile_set.h), not on a command: exit 2
// on bad usage or input, as the other file commands; --diff exits 1 when the
// profiles differ, as `diff`.
#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "base/text.h"
#include "profile/builtin.h"
#include "profile/load.h"
#include "record/attach.h"
#include "record/coverage.h"
#include "record/profile_gen.h"
#include "record/profile_set.h"
#include "record/recorder.h"
#include "run/command.h"
#include "syscalls/arch.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/format.h"
#include "tools/cli/output.h"
#include "tools/cli/resolve_flags.h"

namespace sysfence {
namespace {

constexpr std::string_view kUsage =
    "usage: sysfence record [--base PROFILE] [--args[=ioctl]] [-o FILE] -- CMD [ARGS...]\n"
    "       sysfence record --pid PID [--duration SECONDS] [--base PROFILE] [--args[=ioctl]] [-o FILE]\n"
    "       sysfence record --merge A.json B.json ... [-o FILE]\n"
    "       sysfence record --diff OLD.json NEW.json [--arch A] [--caps LIST] [--kernel X.Y] [--format text|json]";

// One parser for the three forms, so that each flag is known to all of
// them; which form a flag belongs to is checked after parsing.
constexpr cli::FlagSpec kOwnFlags[] = {
    {.name = "base"},
    {.name = "args"},
    {.name = "output", .short_name = 'o', .names_output = true},
    {.name = "pid"},
    {.name = "duration"},
    {.name = "merge", .takes_value = false},
    {.name = "diff", .takes_value = false},
    {.name = "arch"},
    {.name = "format"},
};
constexpr auto kFlags = cli::with_resolve_flags(kOwnFlags);

enum class Mode : uint8_t { kRecord, kMerge, kDiff };

// The flags each form takes besides the resolution flags, which only
// --diff takes.
bool belongs(Mode mode, std::string_view flag) {
  switch (mode) {
    case Mode::kRecord:
      return flag == "base" || flag == "args" || flag == "output" || flag == "pid" || flag == "duration";
    case Mode::kMerge: return flag == "merge" || flag == "output";
    case Mode::kDiff:
      return flag != "base" && flag != "args" && flag != "output" && flag != "merge" && flag != "pid" &&
             flag != "duration";
  }
  return false;
}

Expected<Mode> mode_of(const cli::ParsedArgs& parsed) {
  if (parsed.has("merge") && parsed.has("diff")) return fail("--merge and --diff cannot be combined");
  const Mode mode = parsed.has("merge") ? Mode::kMerge : parsed.has("diff") ? Mode::kDiff : Mode::kRecord;
  for (const auto& [flag, values] : parsed.flags) {
    if (belongs(mode, flag)) continue;
    if (mode == Mode::kRecord) return fail(fmt::format("--{} applies to --diff only", flag));
    return fail(fmt::format("--{} does not apply to --{}", flag, mode == Mode::kMerge ? "merge" : "diff"));
  }
  return mode;
}

Expected<std::vector<record::NamedText>> read_inputs(std::span<const std::string> paths) {
  std::vector<record::NamedText> out;
  for (const std::string& path : paths) {
    auto text = profile::read_text_file(path);
    if (!text) return fail(text.error().message);
    out.push_back({path, std::move(*text)});
  }
  return out;
}

int run_merge(const cli::ParsedArgs& parsed) {
  if (parsed.saw_dashdash) return cli::usage_error("--merge takes profile files, not a command");
  if (parsed.positionals.size() < 2) return cli::usage_error("--merge needs at least two profiles");
  auto inputs = read_inputs(parsed.positionals);
  if (!inputs) return cli::usage_error(inputs.error().message);
  auto merged = record::merge_profiles(*inputs);
  if (!merged) {
    fmt::print(stderr, "sysfence: {}\n", one_line(merged.error().message));
    return 2;
  }
  if (auto written = cli::write_output(parsed.get_or("output", "-"), *merged); !written) {
    fmt::print(stderr, "sysfence: {}\n", one_line(written.error().message));
    return 2;
  }
  return 0;
}

int run_diff(const cli::ParsedArgs& parsed) {
  if (parsed.saw_dashdash) return cli::usage_error("--diff takes two profile files, not a command");
  if (parsed.positionals.size() != 2) return cli::usage_error("--diff needs exactly two profiles: OLD NEW");
  auto format = cli::parse_format(parsed);
  if (!format) return cli::usage_error(format.error().message);
  record::DiffOptions options;
  if (auto arch = parsed.get("arch")) {
    auto native = syscalls::parse_arch(*arch);
    if (!native) return cli::usage_error(native.error().message);
    options.resolve.native = (*native)->id;
  }
  auto resolve = cli::resolve_options(parsed, options.resolve.native);
  if (!resolve) return cli::usage_error(resolve.error().message);
  options.resolve = std::move(*resolve);
  auto inputs = read_inputs(parsed.positionals);
  if (!inputs) return cli::usage_error(inputs.error().message);
  auto delta = record::diff_profiles((*inputs)[0], (*inputs)[1], options);
  if (!delta) {
    fmt::print(stderr, "sysfence: {}\n", one_line(delta.error().message));
    return 2;
  }
  for (const std::string& line : delta->diagnostics) fmt::print(stderr, "{}\n", line);
  if (*format == cli::OutputFormat::kJson) {
    cli::print_json("record", record::delta_json(*delta));
  } else {
    for (const std::string& line : record::delta_text(*delta)) fmt::print("{}\n", line);
  }
  return delta->empty() ? 0 : 1;
}

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

// The coverage summary (record/coverage.h): what the user is about to allow.
void print_coverage(const record::Observations& observations, const policy::Policy* base, std::string base_name) {
  record::CoverageOptions options;
  options.base = base;
  options.base_name = std::move(base_name);
  // `--base default` is already Docker's default resolved for this machine.
  std::optional<policy::Policy> docker_default;
  if (base != nullptr && options.base_name == "default") {
    options.docker_default = base;
  } else if (auto resolved = record::resolve_base("default")) {
    docker_default = std::move(*resolved);
    options.docker_default = &*docker_default;
  }
  for (const std::string& line : record::coverage_summary(observations, options)) {
    fmt::print(stderr, "sysfence: {}\n", line);
  }
}

void summarise(const record::Recording& rec, const record::Generated& gen) {
  uint64_t calls = 0;
  for (const auto& [key, r] : rec.observations.calls) calls += r.count;
  fmt::print(stderr, "sysfence: recorded {} calls of {} distinct syscalls; {} profile entries\n", calls,
             rec.observations.calls.size(), gen.profile.syscalls.size());
  for (const std::string& u : gen.unnamed) fmt::print(stderr, "sysfence: note: no name for {}: left out\n", u);
  for (const std::string& n : rec.notes) fmt::print(stderr, "sysfence: note: {}\n", n);
  if (rec.term_signal != 0) {
    fmt::print(stderr, "sysfence: the command was killed by signal {} ({})\n", rec.term_signal,
               strsignal(rec.term_signal));
  } else if (rec.exit_code != 0) {
    fmt::print(stderr, "sysfence: the command exited with {}\n", rec.exit_code);
  }
}

// `--pid PID [--duration S]`: the running process to record, and for how long.
Expected<std::pair<pid_t, record::AttachOptions>> attach_flags(const cli::ParsedArgs& parsed) {
  const std::string text = parsed.get_or("pid", "");
  long pid = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (ec != std::errc() || end != text.data() + text.size() || pid <= 0 || pid > INT32_MAX) {
    return fail(fmt::format("--pid {}: not a process id", text));
  }
  record::AttachOptions options;
  if (auto d = parsed.get("duration")) {
    char* stop = nullptr;
    const double seconds = std::strtod(d->c_str(), &stop);
    if (d->empty() || *stop != '\0' || !(seconds > 0) || seconds > 1e6) {
      return fail(fmt::format("--duration {}: not a positive number of seconds", *d));
    }
    options.duration = std::chrono::milliseconds(std::lround(seconds * 1000));
  }
  return std::pair{static_cast<pid_t>(pid), options};
}

// Whether `args` ask for --merge or --diff (before any `--`): those work on
// files, and their bad usage exits 2 as the other file commands' does, also
// when the arguments do not parse.
bool asks_for_file_mode(std::span<const std::string> args) {
  for (const std::string& a : args) {
    if (a == "--") return false;
    if (a == "--merge" || a == "--diff") return true;
  }
  return false;
}

int run_record_checked(std::span<const std::string> raw) {
  const std::vector<std::string> args = with_args_value(raw);
  auto parsed = cli::parse_args(args, kFlags);
  const bool file_mode = asks_for_file_mode(args);
  if (!parsed) return file_mode ? cli::usage_error(parsed.error().message) : usage(parsed.error().message);
  auto mode = mode_of(*parsed);
  if (!mode) return file_mode ? cli::usage_error(mode.error().message) : usage(mode.error().message);
  if (*mode == Mode::kMerge) return run_merge(*parsed);
  if (*mode == Mode::kDiff) return run_diff(*parsed);
  const bool attach = parsed->has("pid");
  if (attach && (parsed->saw_dashdash || !parsed->positionals.empty())) {
    return usage("--pid records a running process: it takes no command");
  }
  if (!attach && parsed->has("duration")) return usage("--duration applies to --pid only");
  if (!attach && !parsed->positionals.empty()) {
    return usage("put the command after --: sysfence record [FLAGS] -- CMD [ARGS...]");
  }
  if (!attach && parsed->after_dashdash.empty()) return usage("no command given");
  std::optional<std::pair<pid_t, record::AttachOptions>> target;
  if (attach) {
    auto flags = attach_flags(*parsed);
    if (!flags) return usage(flags.error().message);
    target = *flags;
  }

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
  // Before CMD runs: a recording that cannot be written is lost.
  if (auto ok = cli::check_output_file(output); !ok) return own_failure(ok.error().message);

  auto rec = target ? record::record_process(target->first, target->second)
                    : record::record_command(parsed->after_dashdash, {});
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
  print_coverage(rec->observations, gen.base, parsed->get_or("base", ""));
  if (auto written = cli::write_output(output, record::profile_json(generated.profile)); !written) {
    return own_failure(written.error().message);
  }
  // A traced process is not sysfence's child: its exit status is not sysfence's.
  return target ? 0 : rec->exit_code;
}

// As `run`: the exit status is the command's, so sysfence's own failures are 125.
int run_record(std::span<const std::string> args) {
  return cli::run_guarded(&run_record_checked, args, run::kExitOwnFailure);
}

constexpr cli::FlagHelp kOwnFlagHelp[] = {
    {"--base PROFILE",
     "write only what PROFILE (default, or a JSON file; resolved for this machine) does not already allow"},
    {"--args",
     "argument rules for clone, unshare (namespace flags), socket (families), personality, prctl (options), as "
     "Docker's profile, never wider than what was seen"},
    {"--args=ioctl", "as --args, and ioctl by each request seen"},
    {"-o, --output FILE", "write the profile to FILE (atomically) instead of stdout"},
    {"--pid PID",
     "record the running process PID (and the threads and children it starts) through ptrace instead of a command, "
     "until it exits or sysfence gets SIGINT/SIGTERM; it runs on after"},
    {"--duration SECONDS", "with --pid: stop recording after SECONDS"},
    {"--merge A.json B.json ...", "write the union of recorded profiles (same defaultAction) instead of recording"},
    {"--diff OLD.json NEW.json",
     "what NEW allows that OLD does not and the reverse, on their meaning resolved for --arch (exit 1 when they "
     "differ)"},
    {"--arch A", "with --diff: the machine both profiles are resolved for (default: this one)"},
    {"--format text|json", "with --diff: the report as text (default) or a JSON document"},
    {"--caps LIST", cli::help::kCaps},
};
constexpr auto kFlagHelp = cli::with_resolve_help(kOwnFlagHelp);

const cli::Registration kRegistration{{"record",
                                       "run a command and write a least-privilege profile of the syscalls it made",
                                       &run_record, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
