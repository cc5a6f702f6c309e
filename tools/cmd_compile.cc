// sysfence compile [PROFILE|default|-] [--arch A[,B..]|native]
//                  [--caps LIST|docker-default|all|none] [--kernel X.Y]
//                  [--weights uniform|hot|FILE] [--unknown-syscalls enosys|default]
//                  [--strategy optimal|balanced|linear] [--format raw|c|text|json]
//                  [--name IDENT] [--arg-width abi|64] [--bad-arch ACTION] [--semantics S] [--no-verify] [-o FILE]
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

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "base/text.h"
#include "bpf/disasm.h"
#include "bpf/raw.h"
#include "compiler/compile.h"
#include "pipeline/formats.h"
#include "profile/load.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/output.h"
#include "tools/cli/resolve_flags.h"
#include "verify/verify.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kFlags[] = {
    {.name = "arch"},
    {.name = "caps"},
    {.name = "kernel"},
    {.name = "weights"},
    {.name = "unknown-syscalls"},
    {.name = "arg-width"},
    {.name = "bad-arch"},
    {.name = "semantics"},
    {.name = "strategy"},
    {.name = "format"},
    {.name = "name"},
    {.name = "output", .short_name = 'o'},
    {.name = "strict", .takes_value = false},
    {.name = "no-verify", .takes_value = false},
};

constexpr std::string_view kUsage =
    "usage: sysfence compile [PROFILE|default|-] [--arch A[,B..]|native] "
    "[--caps LIST|docker-default|all|none] [--kernel X.Y] [--weights uniform|hot|FILE] "
    "[--unknown-syscalls enosys|default] [--strategy optimal|balanced|linear] "
    "[--format raw|c|text|json] [--name IDENT] [--arg-width abi|64] [--bad-arch ACTION] [--semantics S] [--no-verify] "
    "[-o FILE]";

// "x86_64,i386" -> the ABIs; the first is the native arch of the resolution.
Expected<std::vector<const syscalls::Arch*>> parse_arch_list(std::string_view spec) {
  std::vector<const syscalls::Arch*> out;
  size_t pos = 0;
  while (true) {
    const size_t comma = spec.find(',', pos);
    const std::string_view part =
        spec.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    auto a = syscalls::parse_arch(part);
    if (!a) return fail(a.error().message);
    out.push_back(*a);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

// NOLINTNEXTLINE(readability-function-size): left whole while tools/cmd_*.cc change on other branches.
int run_compile(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  if (parsed->positionals.size() > 1) return cli::usage_error(kUsage);
  const std::string profile_arg = parsed->positionals.empty() ? "default" : parsed->positionals[0];

  const std::string format = parsed->get_or("format", "raw");
  if (format != "raw" && format != "c" && format != "text" && format != "json") {
    return cli::usage_error(fmt::format("invalid --format \"{}\": expected raw, c, text or json", format));
  }
  compiler::CompileOptions copts;
  if (auto s = parsed->get("strategy"); s && !compiler::parse_strategy(*s, &copts.strategy)) {
    return cli::usage_error(fmt::format("invalid --strategy \"{}\": expected optimal, balanced or linear", *s));
  }
  auto weights = compiler::Weights::FromFlag(parsed->get_or("weights", "uniform"));
  if (!weights) return cli::usage_error(weights.error().message);
  copts.weights = std::move(*weights);

  auto arches = parse_arch_list(parsed->get_or("arch", "native"));
  if (!arches) return cli::usage_error(arches.error().message);

  profile::ReadOptions read_options;
  read_options.strict = parsed->has("strict");
  auto loaded = profile::load_profile(profile_arg, read_options);
  if (!loaded) return cli::usage_error(loaded.error().message);
  for (const std::string& f : loaded->strict_findings) fmt::print(stderr, "sysfence: {}\n", one_line(f));

  const profile::ResolveFlags flags = cli::resolve_flags(*parsed, std::string((*arches)[0]->name));
  auto ropts = profile::make_resolve_options(flags);
  if (!ropts) return cli::usage_error(ropts.error().message);
  auto resolution = profile::resolve(loaded->profile, *ropts);
  if (!resolution) return cli::usage_error(resolution.error().message);
  profile::print_warnings(*resolution);
  policy::Policy& policy = resolution->policy;
  if (arches->size() > 1) {
    std::vector<syscalls::ArchId> keep;
    for (const syscalls::Arch* a : *arches) keep.push_back(a->id);
    if (auto ok = compiler::restrict_abis(policy, keep); !ok) {
      return cli::usage_error(ok.error().message);
    }
  }

  auto compiled = compiler::compile(policy, copts);
  if (!compiled) return cli::usage_error(compiled.error().message);

  const syscalls::Arch* native = (*arches)[0];
  pipeline::OutputInfo info;
  info.profile = profile_arg == "-" ? "<stdin>" : profile_arg;
  info.native = native;
  info.strategy = std::string(compiler::to_string(copts.strategy));
  info.weights = std::string(copts.weights.description());
  if (!parsed->has("no-verify")) {
    auto proof = verify::prove_equivalent(compiled->program, policy);
    if (!proof || !proof->equivalent()) {
      fmt::print(stderr,
                 "sysfence: compile: the program compiled from {} is not proved equal to its policy; "
                 "nothing was written (a compiler bug: please report it with the profile)\n",
                 info.profile);
      if (!proof) {
        fmt::print(stderr, "sysfence: {}\n", one_line(proof.error().message));
      } else {
        fmt::print(stderr, "{}", verify::format_verification(*proof));
      }
      return cli::kExitMismatch;
    }
    info.proof =
        pipeline::OutputInfo::Proof{.paths = proof->equiv.paths, .word_constraints = proof->equiv.word_constraints};
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
        parsed->get_or("name", "sysfence_" + pipeline::c_identifier(profile_arg == "-" ? "stdin" : profile_arg) + "_" +
                                   pipeline::c_identifier(native->name));
    const bool ident = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                       std::all_of(name.begin(), name.end(),
                                   [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; });
    if (!ident) return cli::usage_error(fmt::format("invalid --name \"{}\": not a C identifier", name));
    written = cli::write_output(out, pipeline::c_header(*compiled, info, name));
  } else {
    written = cli::write_output(out, pipeline::json_output(*compiled, policy, info));
  }
  if (!written) return cli::usage_error(written.error().message);
  return cli::kExitOk;
}

const cli::Registration kRegistration{
    {"compile", "compile a profile to classic BPF (raw, C header, text, JSON)", &run_compile}};

}  // namespace
}  // namespace sysfence
