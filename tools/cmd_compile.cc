// sysfence compile [PROFILE|default|-] [--arch A[,B..]|native]
//                  [--caps LIST|docker-default|all|none] [--kernel X.Y]
//                  [--weights uniform|hot|FILE] [--unknown-syscalls enosys|default]
//                  [--strategy optimal|balanced|linear] [--format raw|c|text|json]
//                  [--name IDENT] [--install-flags F,..] [--arg-width abi|64] [--bad-arch ACTION] [--semantics S]
//                  [--no-verify] [-o FILE]
//
// Resolves the profile for the native arch (--arch; its sub-arches follow
// from the profile's archMap, a comma list keeps only the ABIs listed) and
// compiles it to classic BPF. raw = struct sock_filter[] in the target's byte
// order; c = a self-contained header; text = the disassembly; json = the
// resolved policy, the program and the compiler's report. Output is written
// atomically (-o FILE; default stdout): an error leaves no file.
//
// Before anything is written the program is proved equal to the resolved
// policy with the symbolic checker (verify/), so every filter sysfence
// writes comes with a proof; --no-verify skips it. A program that is not
// proved is a compiler bug: nothing is written, the counterexample goes to
// stderr and the exit status is 1.
#include <fmt/format.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "base/expected.h"
#include "base/text.h"
#include "bpf/disasm.h"
#include "bpf/raw.h"
#include "compiler/compile.h"
#include "pipeline/c_header.h"
#include "pipeline/formats.h"
#include "pipeline/pipeline.h"
#include "syscalls/arch.h"
#include "syscalls/table.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/output.h"
#include "tools/cli/resolve_flags.h"
#include "verify/verify.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kOwnFlags[] = {
    {.name = "arch"},
    {.name = "weights"},
    {.name = "strategy"},
    {.name = "format"},
    {.name = "name"},
    {.name = "install-flags"},
    {.name = "enosys-newer", .takes_value = false},
    {.name = "output", .short_name = 'o', .names_output = true},
    {.name = "no-verify", .takes_value = false},
};
constexpr auto kFlags = cli::with_resolve_flags(kOwnFlags);

constexpr std::string_view kUsage =
    "usage: sysfence compile [PROFILE|default|-] [--arch A[,B..]|native] "
    "[--caps LIST|docker-default|all|none] [--kernel X.Y] [--weights uniform|hot|FILE] "
    "[--unknown-syscalls enosys|default] [--strategy optimal|balanced|linear] "
    "[--format raw|c|text|json] [--name IDENT] [--install-flags F[,F..]] [--enosys-newer] [--arg-width abi|64] "
    "[--bad-arch ACTION] "
    "[--semantics S] [--no-verify] "
    "[-o FILE]";

// The program is not proved equal to its policy; nothing is written. A
// difference the checker found is a compiler bug; a proof that did not
// finish (its budget, the limit on rules it proves against) is not one
// found, and --no-verify writes the program without it.
int report_unproved(const std::string& profile, bool differs, const std::string& detail) {
  if (differs) {
    fmt::print(stderr,
               "sysfence: compile: the program compiled from {} differs from its policy; nothing was written "
               "(a compiler bug: please report it with the profile)\n",
               profile);
  } else {
    fmt::print(stderr,
               "sysfence: compile: the program compiled from {} is not proved equal to its policy, and no "
               "difference was found; nothing was written (--no-verify writes the program unproved)\n",
               profile);
  }
  fmt::print(stderr, "{}", detail);
  return cli::kExitMismatch;
}

// NOLINTNEXTLINE(readability-function-size): left whole while tools/cmd_*.cc change on other branches.
// The profile's "flags" as the header's install flags, for info.target;
// the ones left out are said on stderr (and in the header).
Expected<void> take_profile_flags(pipeline::OutputInfo& info, const std::vector<std::string>& flags) {
  if (flags.empty()) return {};
  auto from_profile = pipeline::profile_install_flags(flags, info.target);
  if (!from_profile) return fail(from_profile.error().message);
  info.install_flags = from_profile->flags;
  info.install_flags_from_profile = true;
  info.install_flag_notes = from_profile->notes;
  for (const std::string& note : from_profile->notes) fmt::print(stderr, "sysfence: note: {}\n", note);
  return {};
}

int run_compile(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  if (parsed->positionals.size() > 1)
    return cli::usage_error(cli::positional_count_problem(parsed->positionals.size(), "PROFILE"), kUsage);
  const std::string profile_arg = parsed->positionals.empty() ? "default" : parsed->positionals[0];

  const std::string format = parsed->get_or("format", "raw");
  if (format != "raw" && format != "c" && format != "text" && format != "json") {
    return cli::usage_error(fmt::format("invalid --format \"{}\": expected raw, c, text or json", format));
  }
  // Only the C header installs the filter: elsewhere the flags would be
  // accepted and lost.
  if (format != "c" && parsed->has("install-flags")) {
    return cli::usage_error(fmt::format(
        "--install-flags applies to --format c (the C header installs the filter with them), not --format {}", format));
  }
  // Binary on a terminal is garbage at best and terminal escapes at worst.
  if (format == "raw" && parsed->get_or("output", "-") == "-" && ::isatty(STDOUT_FILENO) != 0) {
    return cli::usage_error("refusing to write binary BPF to a terminal; use --format text or -o FILE");
  }
  compiler::CompileOptions copts;
  if (auto s = parsed->get("strategy"); s && !compiler::parse_strategy(*s, &copts.strategy)) {
    return cli::usage_error(fmt::format("invalid --strategy \"{}\": expected optimal, balanced or linear", *s));
  }
  auto weights = compiler::Weights::FromFlag(parsed->get_or("weights", "uniform"));
  if (!weights) return cli::usage_error(weights.error().message);
  copts.weights = std::move(*weights);

  auto arches = cli::parse_arch_list(parsed->get_or("arch", "native"));
  if (!arches) return cli::usage_error(arches.error().message);
  auto request = cli::pipeline_request(*parsed, profile_arg, *arches);
  if (!request) return cli::usage_error(request.error().message);
  request->compile = copts;
  request->target.newer_syscalls_enosys = parsed->has("enosys-newer");
  request->last = parsed->has("no-verify") ? pipeline::Stage::kCompile : pipeline::Stage::kProve;

  if (auto name = parsed->get("name"); name && !pipeline::is_c_identifier(*name)) {
    return cli::usage_error(fmt::format("invalid --name \"{}\": not a C identifier (or a C/C++ keyword)", *name));
  }
  auto install_flags = pipeline::parse_install_flags(parsed->get_or("install-flags", ""), request->resolve.kernel);
  if (!install_flags) return cli::usage_error(install_flags.error().message);

  const std::string shown = profile_arg == "-" ? "<stdin>" : profile_arg;
  cli::print_warnings(copts.weights.warnings());
  auto built = cli::run_pipeline(*request);
  if (!built) {
    if (built.error().stage == pipeline::Stage::kProve) {
      return report_unproved(shown, false, fmt::format("sysfence: {}\n", one_line(built.error().message)));
    }
    return cli::usage_error(built.error().message);
  }
  if (built->proof && !built->proof->equivalent()) {
    const bool differs = built->proof->equiv.verdict == verify::EquivResult::Verdict::kDifferent;
    return report_unproved(shown, differs, verify::format_verification(*built->proof));
  }
  const policy::Policy& policy = built->resolution.policy;
  const compiler::Compiled* compiled = &*built->compiled;

  const syscalls::Arch* native = arches->native;
  pipeline::OutputInfo info;
  info.profile = shown;
  info.native = native;
  info.strategy = std::string(compiler::to_string(copts.strategy));
  info.weights = std::string(copts.weights.description());
  info.notes = built->resolution.notes;
  info.downgrades = built->downgrades;
  info.kernel = syscalls::to_string(request->resolve.kernel);
  info.target = request->resolve.kernel;
  info.install_flags = *install_flags;
  // The header installs the filter as `run` does, with the profile's flags,
  // unless --install-flags chose others.
  if (format == "c" && !parsed->has("install-flags")) {
    if (auto taken = take_profile_flags(info, built->resolution.flags); !taken) {
      return cli::usage_error(taken.error().message);
    }
  }
  info.newer_syscalls = built->newer_syscalls;
  if (built->proof) {
    info.proof = pipeline::OutputInfo::Proof{.paths = built->proof->equiv.paths,
                                             .word_constraints = built->proof->equiv.word_constraints,
                                             .sat_conflicts = built->proof->equiv.sat_conflicts};
  }

  const std::string out = parsed->get_or("output", "-");
  Expected<void> written;
  if (format == "raw") {
    const std::vector<uint8_t> bytes = bpf::write_raw(compiled->program, native->endian);
    written = cli::write_output(out, bytes);
  } else if (format == "text") {
    bpf::DisasmOptions d;
    d.arch = native;
    written = cli::write_output(out, bpf::disassemble(compiled->program, d));
  } else if (format == "c") {
    const std::string name =
        parsed->get_or("name", pipeline::default_c_name(profile_arg == "-" ? "stdin" : profile_arg));
    written = cli::write_output(out, pipeline::c_header(*compiled, info, name));
  } else {
    written = cli::write_output(out, pipeline::json_output(*compiled, policy, info));
  }
  if (!written) return cli::usage_error(written.error().message);
  return cli::kExitOk;
}

constexpr cli::FlagHelp kOwnFlagHelp[] = {
    {"--arch A[,B..]|native", cli::help::kArchList},
    {"--caps LIST", cli::help::kCaps},
    {"--weights uniform|hot|FILE", cli::help::kWeights},
    {"--strategy optimal|balanced|linear", cli::help::kStrategy},
    {"--format raw|c|text|json",
     "raw struct sock_filter[] (the default; never to a terminal), a C header, the disassembly, or JSON with the "
     "policy and the compiler's report"},
    {"--name IDENT", cli::help::kCName},
    {"--install-flags F[,F..]", cli::help::kInstallFlags},
    {"--enosys-newer", cli::help::kEnosysNewer},
    {"--no-verify", "skip the proof that the program equals the policy (the output says so)"},
    {"-o, --output FILE", cli::help::kOutput},
};
constexpr auto kFlagHelp = cli::with_resolve_help(kOwnFlagHelp);

const cli::Registration kRegistration{
    {"compile", "compile a profile to classic BPF (raw, C header, text, JSON)", &run_compile, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
