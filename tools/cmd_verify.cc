// sysfence verify --profile PROFILE (--bpf FILE [--bpf FILE..] | --bpf DIR | --pid PID) [--arch A[,B..]|native]
//                 [--caps LIST|docker-default|all|none] [--kernel X.Y]
//                 [--unknown-syscalls enosys|default] [--arg-width abi|64] [--bad-arch ACTION] [--semantics S]
//                 [--raw-endian little|big] [--max-counterexamples N] [--strict]
//
// Proves that the raw filter FILE implements PROFILE as resolved for the
// architecture (and the sub-architectures the profile pairs with it; a comma
// list keeps only the ABIs listed, as `compile` does): for every
// seccomp_data, the filter's action equals policy::evaluate's.
//   exit 0  "equivalent (proved: N paths, M word constraints)"
//   exit 1  counterexamples (each confirmed by the interpreter and by
//           policy::evaluate), or "not proved" when part of the filter is
//           outside the symbolic fragment and testing found no difference
//   exit 2  bad usage or bad input (profile or filter)
// Identification: with several --profile or --semantics (or both), each
// combination is a candidate, proved in turn, and verify says which of them
// the filter equals (exit 0 when one does): which runtime built a live
// process's filter (`--pid P --semantics runc --semantics libseccomp
// --semantics sysfence`, or a profile per runtime).
// --arg-width 64 compares arguments as libseccomp does (all 64 bits on 64-bit
// ABIs, the low word on its 32-bit ones); abi (the default) compares the arguments the
// kernel reads as 32-bit on their low word only (profile::ArgWidthMode).
// A filter stack (--bpf repeated, the first the oldest, --bpf DIR, a dump
// directory, or --pid of a process with several filters) is proved as the
// kernel combines it (verify/stack.h); each counterexample names the filter
// whose answer the kernel keeps, by its kernel index (0 = the oldest).
#include <fmt/format.h>

#include <string>
#include <vector>

#include "pipeline/pipeline.h"
#include "syscalls/arch.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/filter_stack.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/format.h"
#include "tools/cli/live_input.h"
#include "tools/cli/output.h"
#include "tools/cli/raw_filter.h"
#include "tools/cli/resolve_flags.h"
#include "verify/json.h"
#include "verify/verify.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kOwnFlags[] = {
    {.name = "profile", .repeatable = true},
    {.name = "bpf", .repeatable = true},
    {.name = "pid"},
    {.name = "arch"},
    {.name = "raw-endian"},
    {.name = "max-counterexamples"},
    {.name = "enosys-newer", .takes_value = false},
    {.name = "format"},
};
// --semantics may name several candidates here (identification).
constexpr auto kFlags = [] {
  auto flags = cli::with_resolve_flags(kOwnFlags);
  for (cli::FlagSpec& f : flags) {
    if (f.name == "semantics") f.repeatable = true;
  }
  return flags;
}();

constexpr std::string_view kUsage =
    "usage: sysfence verify --profile PROFILE|default|- (--bpf FILE [--bpf FILE..]|DIR | --pid PID) "
    "[--arch A[,B..]|native] [--caps LIST|docker-default|all|none] [--kernel X.Y] [--enosys-newer] "
    "[--unknown-syscalls enosys|default] "
    "[--arg-width abi|64] [--bad-arch ACTION] [--semantics S] [--raw-endian little|big] [--max-counterexamples N] "
    "[--format text|json] [--strict]";

// Counterexamples collected (and counted); --max-counterexamples of them are
// shown. Past this many the count reads "at least".
constexpr size_t kMaxCollected = 10000;

// One candidate's verdict, as identification prints it.
std::string_view verdict_word(const verify::Verification& v) {
  if (v.equivalent()) return "equivalent";
  return v.equiv.verdict == verify::EquivResult::Verdict::kDifferent ? "different" : "not proved";
}

// One filter: the program's own proof (its errors prefixed with the filter's
// name); several: the kernel's combination (its errors already name the
// filter). A policy the proof cannot take is the profile's fault: named so.
Expected<verify::Verification> prove_filters(const cli::FilterStack& stack, const policy::Policy& policy,
                                             const std::string& profile, const verify::EquivOptions& eopts) {
  if (auto ok = pipeline::provable(policy); !ok)
    return fail(fmt::format("{}: {}", profile == "-" ? "<stdin>" : profile, ok.error().message));
  if (stack.size() != 1) return pipeline::prove_stack(stack.programs, stack.names, policy, eopts);
  auto v = pipeline::prove(stack.programs[0], policy, eopts);
  if (!v) return fail(fmt::format("{}: {}", stack.names[0], v.error().message));
  return v;
}

// The filters as identification names them: "process 42", "a.bpf", a dump
// directory, or "a.bpf + b.bpf" for a stack given file by file.
std::string stack_label(const cli::ParsedArgs& parsed, const cli::FilterStack& stack) {
  if (auto pid = parsed.get("pid")) return cli::pid_source(*pid);
  if (stack.size() == 1) return stack.names[0];
  const std::vector<std::string> sources = parsed.all("bpf");
  return sources.size() == 1 ? sources[0] : fmt::format("{}", fmt::join(stack.names, " + "));
}

// Every --profile x --semantics combination proved against the stack.
int identify(const cli::ParsedArgs& parsed, const cli::ArchList& arches, const cli::FilterStack& stack,
             const std::string& shown, bool json) {
  std::vector<std::string> semantics = parsed.all("semantics");
  if (semantics.empty()) semantics.emplace_back();
  boost::json::array candidates;
  std::vector<std::string> equal;
  std::string text;
  for (const std::string& profile : parsed.all("profile")) {
    for (const std::string& s : semantics) {
      cli::ParsedArgs one = parsed;
      one.flags.erase("semantics");
      if (!s.empty()) one.flags["semantics"] = {s};
      auto request = cli::pipeline_request(one, profile, arches);
      if (!request) return cli::usage_error(request.error().message);
      request->last = pipeline::Stage::kRestrictAbis;
      request->target.newer_syscalls_enosys = parsed.has("enosys-newer");
      auto built = cli::run_pipeline(*request);
      if (!built) return cli::usage_error(built.error().message);
      verify::EquivOptions eopts;
      eopts.max_mismatches = 1;  // a verdict, not a report
      auto v = prove_filters(stack, built->resolution.policy, profile, eopts);
      if (!v) return cli::usage_error(v.error().message);
      const std::string name = s.empty() ? profile : fmt::format("{} --semantics {}", profile, s);
      text += fmt::format("  {}: {}\n", name, verdict_word(*v));
      if (v->equivalent()) equal.push_back(name);
      candidates.push_back(
          {{"profile", profile},
           {"semantics", s.empty() ? boost::json::value(nullptr) : boost::json::value(s)},
           {"verdict", v->equivalent()                                                ? "equivalent"
                       : v->equiv.verdict == verify::EquivResult::Verdict::kDifferent ? "different"
                                                                                      : "not-proved"}});
    }
  }
  if (json) {
    boost::json::array equals;
    for (const std::string& e : equal) equals.push_back(boost::json::value(e));
    cli::print_json("verify", {{"filter", shown}, {"candidates", candidates}, {"equals", equals}});
  } else {
    fmt::print("{} against {} candidates:\n{}", shown, candidates.size(), text);
    if (equal.empty()) fmt::print("equals none of them\n");
    else fmt::print("equals: {}\n", fmt::join(equal, "; "));
  }
  return equal.empty() ? cli::kExitMismatch : cli::kExitOk;
}

int run_verify(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  if (!parsed->positionals.empty())
    return cli::usage_error(fmt::format("verify takes --profile and --bpf (or --pid), not {}", parsed->positionals[0]),
                            kUsage);
  if (!parsed->has("profile"))
    return cli::usage_error("no --profile given: the profile the filter should implement", kUsage);
  if (parsed->has("bpf") && parsed->has("pid")) return cli::usage_error("give --bpf FILE or --pid PID, not both", kUsage);
  if (!parsed->has("bpf") && !parsed->has("pid"))
    return cli::usage_error("no filter given: --bpf FILE (or a dump directory) or --pid PID", kUsage);
  verify::EquivOptions eopts;
  eopts.max_mismatches = kMaxCollected;
  size_t max_shown = 3;
  if (auto n = parsed->get("max-counterexamples")) {
    auto v = cli::parse_u64(*n);
    if (!v || *v == 0 || *v > 100000) {
      return cli::usage_error(fmt::format("invalid --max-counterexamples \"{}\": expected 1..100000", *n));
    }
    max_shown = *v;
  }
  const bool identifying = parsed->all("profile").size() > 1 || parsed->all("semantics").size() > 1;
  auto format = cli::parse_format(*parsed);
  if (!format) return cli::usage_error(format.error().message);
  auto arches = cli::parse_arch_list(parsed->get_or("arch", "native"));
  if (!arches) return cli::usage_error(arches.error().message);
  auto request = cli::pipeline_request(*parsed, parsed->get_or("profile", "default"), *arches);
  if (!request) return cli::usage_error(request.error().message);
  auto byte_order = cli::raw_endian(*parsed, arches->native->endian);
  if (!byte_order) return cli::usage_error(byte_order.error().message);

  if (identifying) {
    auto stack = cli::read_filter_stack(*parsed, *byte_order);
    if (!stack) return cli::usage_error(stack.error().message);
    return identify(*parsed, *arches, *stack, stack_label(*parsed, *stack), *format == cli::OutputFormat::kJson);
  }
  // The policy only: the program to prove is the user's.
  request->last = pipeline::Stage::kRestrictAbis;
  request->target.newer_syscalls_enosys = parsed->has("enosys-newer");
  auto built = cli::run_pipeline(*request);
  if (!built) return cli::usage_error(built.error().message);

  auto stack = cli::read_filter_stack(*parsed, *byte_order);
  if (!stack) return cli::usage_error(stack.error().message);

  auto v = prove_filters(*stack, built->resolution.policy, request->profile, eopts);
  if (!v) return cli::usage_error(v.error().message);
  if (*format == cli::OutputFormat::kJson) cli::print_json("verify", verify::to_json(*v, max_shown));
  else fmt::print("{}", verify::format_verification(*v, max_shown));
  return v->equivalent() ? cli::kExitOk : cli::kExitMismatch;
}

constexpr cli::FlagHelp kOwnFlagHelp[] = {
    {"--profile PROFILE",
     "default (Docker's, built in), a Docker/containers-common/OCI JSON file, or - for stdin; several (and several "
     "--semantics): say which candidate the filter equals"},
    {"--bpf FILE|DIR", cli::help::kBpfStack},
    {"--pid PID", cli::help::kPid},
    {"--arch A[,B..]|native", cli::help::kArchList},
    {"--caps LIST", cli::help::kCaps},
    {"--enosys-newer", cli::help::kEnosysNewer},
    {"--raw-endian little|big", cli::help::kRawEndian},
    {"--max-counterexamples N",
     "counterexamples printed in detail (default 3); all are counted (up to 10000) and grouped by cause"},
    {"--format text|json", cli::help::kFormat},
};
constexpr auto kFlagHelp = cli::with_resolve_help(kOwnFlagHelp);

const cli::Registration kRegistration{
    {"verify", "prove a raw filter or filter stack implements a profile (or show counterexamples)", &run_verify, kUsage,
     kFlagHelp}};

}  // namespace
}  // namespace sysfence
