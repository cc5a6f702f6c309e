// sysfence verify --profile PROFILE --bpf FILE [--arch A[,B..]|native]
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
// --arg-width 64 compares arguments as libseccomp does (all 64 bits on 64-bit
// ABIs, the low word on its 32-bit ones); abi (the default) compares the arguments the
// kernel reads as 32-bit on their low word only (profile::ArgWidthMode).
#include <fmt/format.h>

#include <string>
#include <vector>

#include "base/text.h"
#include "bpf/raw.h"
#include "compiler/compile.h"
#include "profile/load.h"
#include "profile/resolve.h"
#include "syscalls/arch.h"
#include "tools/cli/args.h"
#include "tools/cli/command.h"
#include "tools/cli/flag_help.h"
#include "tools/cli/output.h"
#include "tools/cli/resolve_flags.h"
#include "verify/verify.h"

namespace sysfence {
namespace {

constexpr cli::FlagSpec kFlags[] = {
    {.name = "profile"},
    {.name = "bpf"},
    {.name = "arch"},
    {.name = "caps"},
    {.name = "kernel"},
    {.name = "unknown-syscalls"},
    {.name = "arg-width"},
    {.name = "bad-arch"},
    {.name = "semantics"},
    {.name = "raw-endian"},
    {.name = "max-counterexamples"},
    {.name = "strict", .takes_value = false},
};

constexpr std::string_view kUsage =
    "usage: sysfence verify --profile PROFILE|default|- --bpf FILE [--arch A[,B..]|native] "
    "[--caps LIST|docker-default|all|none] [--kernel X.Y] [--unknown-syscalls enosys|default] "
    "[--arg-width abi|64] [--bad-arch ACTION] [--semantics S] [--raw-endian little|big] [--max-counterexamples N] "
    "[--strict]";

// Far above the kernel's 4096 instructions (32 KiB).
constexpr size_t kMaxRawBytes = size_t{8} * 1024 * 1024;

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

int run_verify(std::span<const std::string> args) {
  auto parsed = cli::parse_args(args, kFlags);
  if (!parsed) return cli::usage_error(parsed.error().message);
  if (!parsed->positionals.empty() || !parsed->has("profile") || !parsed->has("bpf")) {
    return cli::usage_error(kUsage);
  }
  verify::EquivOptions eopts;
  eopts.max_mismatches = 3;
  if (auto n = parsed->get("max-counterexamples")) {
    auto v = cli::parse_u64(*n);
    if (!v || *v == 0 || *v > 100000) {
      return cli::usage_error(fmt::format("invalid --max-counterexamples \"{}\": expected 1..100000", *n));
    }
    eopts.max_mismatches = *v;
  }
  auto arches = parse_arch_list(parsed->get_or("arch", "native"));
  if (!arches) return cli::usage_error(arches.error().message);
  const syscalls::Arch* native = (*arches)[0];

  profile::ReadOptions read_options;
  read_options.strict = parsed->has("strict");
  auto loaded = profile::load_profile(parsed->get_or("profile", "default"), read_options);
  if (!loaded) return cli::usage_error(loaded.error().message);
  for (const std::string& f : loaded->strict_findings) fmt::print(stderr, "sysfence: {}\n", one_line(f));

  const profile::ResolveFlags flags = cli::resolve_flags(*parsed, std::string(native->name));
  auto ropts = profile::make_resolve_options(flags);
  if (!ropts) return cli::usage_error(ropts.error().message);
  auto resolution = profile::resolve(loaded->profile, *ropts);
  if (!resolution) return cli::usage_error(resolution.error().message);
  profile::print_warnings(*resolution);
  policy::Policy& policy = resolution->policy;
  if (arches->size() > 1) {
    std::vector<syscalls::ArchId> keep;
    for (const syscalls::Arch* a : *arches) keep.push_back(a->id);
    if (auto ok = compiler::restrict_abis(policy, keep); !ok) return cli::usage_error(ok.error().message);
  }

  Endian byte_order = native->endian;
  if (auto e = parsed->get("raw-endian")) {
    if (*e == "little") byte_order = Endian::kLittle;
    else if (*e == "big") byte_order = Endian::kBig;
    else return cli::usage_error(fmt::format("--raw-endian must be little or big, not \"{}\"", *e));
  }
  const std::string path = parsed->get_or("bpf", "");
  const std::string shown = path == "-" ? "<stdin>" : path;
  auto bytes = cli::read_input(path, kMaxRawBytes);
  if (!bytes) return cli::usage_error(bytes.error().message);
  auto prog = bpf::read_raw(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size()),
                            byte_order, shown);
  if (!prog) return cli::usage_error(prog.error().message);

  auto v = verify::prove_equivalent(*prog, policy, eopts);
  if (!v) return cli::usage_error(fmt::format("{}: {}", shown, v.error().message));
  fmt::print("{}", verify::format_verification(*v));
  return v->equivalent() ? cli::kExitOk : cli::kExitMismatch;
}

constexpr cli::FlagHelp kFlagHelp[] = {
    {"--profile PROFILE", cli::help::kProfile},
    {"--bpf FILE", "the raw filter to check; - for stdin"},
    {"--arch A[,B..]|native", cli::help::kArchList},
    {"--caps LIST", cli::help::kCaps},
    {"--kernel X.Y", cli::help::kKernel},
    {"--unknown-syscalls enosys|default", cli::help::kUnknownSyscalls},
    {"--arg-width abi|64", cli::help::kArgWidth},
    {"--bad-arch ACTION", cli::help::kBadArch},
    {"--semantics runc|libseccomp", cli::help::kSemantics},
    {"--raw-endian little|big", cli::help::kRawEndian},
    {"--max-counterexamples N", "counterexamples printed (default 3)"},
    {"--strict", cli::help::kStrict},
};

const cli::Registration kRegistration{
    {"verify", "prove a raw filter implements a profile (or show counterexamples)", &run_verify, kUsage, kFlagHelp}};

}  // namespace
}  // namespace sysfence
