#include "tools/cli/resolve_flags.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdio>
#include <utility>

#include "base/text.h"
#include "profile/caps.h"
#include "profile/load.h"

namespace sysfence::cli {

std::optional<std::string_view> first_resolve_flag(const ParsedArgs& parsed, std::string_view except) {
  for (const FlagSpec& spec : kResolveFlagSpecs) {
    if (spec.name != except && parsed.has(spec.name)) return spec.name;
  }
  return std::nullopt;
}

Expected<profile::UnknownSyscalls> parse_unknown_syscalls(std::string_view s) {
  if (s == "enosys") return profile::UnknownSyscalls::kEnosys;
  if (s == "default") return profile::UnknownSyscalls::kDefault;
  return fail(fmt::format("invalid --unknown-syscalls \"{}\": expected enosys or default", s));
}

Expected<profile::RuleCombination> parse_rule_combination(std::string_view s) {
  if (s == "most-restrictive") return profile::RuleCombination::kMostRestrictive;
  if (s == "libseccomp") return profile::RuleCombination::kLibseccompDatabase;
  return fail(fmt::format("invalid --rule-combination {}: expected most-restrictive or libseccomp", quote(s)));
}

Expected<profile::ArgWidthMode> parse_arg_width_mode(std::string_view s) {
  if (s == "abi") return profile::ArgWidthMode::kAbi;
  if (s == "64") return profile::ArgWidthMode::k64;
  return fail(fmt::format("invalid --arg-width \"{}\": expected abi or 64", s));
}

Expected<Semantics> parse_semantics(std::string_view s) {
  if (s == "sysfence") return Semantics::kSysfence;
  if (s == "runc") return Semantics::kRunc;
  if (s == "libseccomp") return Semantics::kLibseccomp;
  return fail(fmt::format("invalid --semantics {}: expected sysfence, runc or libseccomp", quote(s)));
}

Expected<profile::MultiplexRewrite> parse_multiplex(std::string_view s) {
  if (s == "exact") return profile::MultiplexRewrite::kExact;
  if (s == "libseccomp") return profile::MultiplexRewrite::kLibseccomp;
  return fail(fmt::format("invalid --multiplex {}: expected exact or libseccomp", quote(s)));
}

Expected<Action> parse_bad_arch_action(std::string_view s) {
  // SCMP_ACT_KILL_THREAD -> kill-thread.
  std::string w;
  std::string_view rest = s;
  if (rest.starts_with("SCMP_ACT_")) rest.remove_prefix(9);
  for (char c : rest) w += c == '_' ? '-' : static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (w == "kill-process") return Action::KillProcess();
  if (w == "kill-thread" || w == "kill") return Action::KillThread();
  if (w == "trap") return Action::Trap();
  if (w == "log") return Action::Log();
  if (w == "allow") return Action::Allow();
  if (w == "errno") return Action::Errno(1);
  if (w.starts_with("errno:")) {
    unsigned value = 0;
    const std::string_view digits = std::string_view{w}.substr(6);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc() && end == digits.data() + digits.size() && !digits.empty() && value <= 0xffff) {
      return Action::Errno(static_cast<uint16_t>(value));
    }
  }
  return fail(
      fmt::format("invalid --bad-arch {}: expected kill-process, kill-thread (kill), trap, errno[:N], log "
                  "or allow",
                  quote(s)));
}

namespace {

// The action kind FROM of a downgrade names.
Expected<ActionKind> parse_downgrade_from(std::string_view s) {
  if (s == "user-notif" || s == "notify" || s == "SCMP_ACT_NOTIFY") return ActionKind::kUserNotif;
  if (s == "trace" || s == "SCMP_ACT_TRACE") return ActionKind::kTrace;
  auto a = parse_bad_arch_action(s);
  if (!a) {
    return fail(
        fmt::format("invalid --downgrade-actions {}: expected kill-process, log, user-notif or another "
                    "action as --bad-arch spells it",
                    quote(s)));
  }
  return a->kind;
}

Expected<pipeline::Downgrade> parse_one_downgrade(std::string_view part) {
  const size_t eq = part.find('=');
  if (eq == std::string_view::npos) {
    return fail(fmt::format("invalid --downgrade-actions {}: expected FROM=TO[,FROM=TO...]", quote(part)));
  }
  auto from = parse_downgrade_from(part.substr(0, eq));
  if (!from) return fail(from.error().message);
  auto to = parse_bad_arch_action(part.substr(eq + 1));
  if (!to) {
    return fail(
        fmt::format("invalid --downgrade-actions {}: expected TO to be kill-thread, trap, errno[:N], allow, "
                    "log or kill-process",
                    quote(part)));
  }
  return pipeline::Downgrade{*from, *to};
}

}  // namespace

Expected<std::vector<pipeline::Downgrade>> parse_downgrades(std::string_view spec) {
  std::vector<pipeline::Downgrade> out;
  size_t pos = 0;
  while (true) {
    const size_t comma = spec.find(',', pos);
    auto d = parse_one_downgrade(spec.substr(pos, comma == std::string_view::npos ? comma : comma - pos));
    if (!d) return fail(d.error().message);
    for (const pipeline::Downgrade& seen : out) {
      if (seen.from == d->from) {
        return fail(fmt::format("invalid --downgrade-actions {}: {} is mapped twice", quote(spec),
                                pipeline::flag_spelling(d->from)));
      }
    }
    out.push_back(*d);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

namespace {

// --semantics first: the flags given explicitly override its presets.
Expected<void> apply_semantics(const ParsedArgs& parsed, profile::ResolveOptions& o) {
  const auto text = parsed.get("semantics");
  if (!text) return {};
  auto s = parse_semantics(*text);
  if (!s) return fail(s.error().message);
  if (*s != Semantics::kSysfence) {
    o.arg_width = profile::ArgWidthMode::k64;
    o.bad_arch_action = Action::KillThread();
    o.multiplex = profile::MultiplexRewrite::kLibseccomp;
    o.combination = profile::RuleCombination::kLibseccompDatabase;
  }
  if (*s == Semantics::kLibseccomp) o.unknown_syscalls = profile::UnknownSyscalls::kDefault;
  o.for_runc = *s == Semantics::kRunc;
  return {};
}

Expected<profile::CapSet> parse_caps_or_default(const ParsedArgs& parsed) {
  if (auto spec = parsed.get("caps")) {
    auto caps = profile::parse_caps(*spec);
    if (!caps) return fail(fmt::format("invalid --caps {}: {}", quote(*spec), caps.error().message));
    return caps;
  }
  return profile::docker_default_caps();
}

}  // namespace

Expected<syscalls::KernelVersion> target_kernel(const ParsedArgs& parsed) {
  return parsed.has("kernel") ? profile::parse_kernel_version(*parsed.get("kernel")) : profile::host_kernel_version();
}

Expected<profile::ResolveOptions> resolve_options(const ParsedArgs& parsed, syscalls::ArchId native,
                                                  bool caller_sets_caps) {
  profile::ResolveOptions o;
  o.native = native;
  o.unknown_names_are_errors = parsed.has("strict");
  if (auto ok = apply_semantics(parsed, o); !ok) return fail(ok.error().message);
  if (!caller_sets_caps) {
    auto caps = parse_caps_or_default(parsed);
    if (!caps) return fail(caps.error().message);
    o.caps = std::move(*caps);
  }
  auto kernel = target_kernel(parsed);
  if (!kernel) return fail(kernel.error().message);
  o.kernel = *kernel;
  if (auto u = parsed.get("unknown-syscalls")) {
    auto v = parse_unknown_syscalls(*u);
    if (!v) return fail(v.error().message);
    o.unknown_syscalls = *v;
  }
  if (auto w = parsed.get("arg-width")) {
    auto v = parse_arg_width_mode(*w);
    if (!v) return fail(v.error().message);
    o.arg_width = *v;
  }
  if (auto c = parsed.get("rule-combination")) {
    auto v = parse_rule_combination(*c);
    if (!v) return fail(v.error().message);
    o.combination = *v;
  }
  if (auto b = parsed.get("bad-arch")) {
    auto v = parse_bad_arch_action(*b);
    if (!v) return fail(v.error().message);
    o.bad_arch_action = *v;
  }
  if (auto m = parsed.get("multiplex")) {
    auto v = parse_multiplex(*m);
    if (!v) return fail(v.error().message);
    o.multiplex = *v;
  }
  if (auto l = parsed.get("libseccomp-optimize")) {
    if (*l != "1" && *l != "2") return fail(fmt::format("invalid --libseccomp-optimize {}: expected 1 or 2", quote(*l)));
    o.libseccomp_optimize = *l == "1" ? 1 : 2;
  }
  return o;
}

Expected<pipeline::TargetOptions> target_options(const ParsedArgs& parsed) {
  pipeline::TargetOptions o;
  o.bad_arch_chosen = parsed.has("bad-arch");
  if (auto spec = parsed.get("downgrade-actions")) {
    auto downgrades = parse_downgrades(*spec);
    if (!downgrades) return fail(downgrades.error().message);
    o.downgrades = std::move(*downgrades);
  }
  return o;
}

profile::ReadOptions read_options(const ParsedArgs& parsed) {
  profile::ReadOptions o;
  o.strict = parsed.has("strict");
  return o;
}

Expected<ArchList> parse_arch_list(std::string_view spec) {
  std::vector<const syscalls::Arch*> listed;
  size_t pos = 0;
  while (true) {
    const size_t comma = spec.find(',', pos);
    const std::string_view part =
        spec.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    // An empty item is a typo ("x86_64," or ",,"), not an architecture
    // whose nearest spelling is worth suggesting.
    if (part.empty()) {
      if (comma == std::string_view::npos && pos == 0) return fail("invalid --arch \"\": empty architecture name");
      return fail(fmt::format("invalid --arch {}: item {} of the list is empty", quote(spec), listed.size() + 1));
    }
    auto a = syscalls::parse_arch(part);
    if (!a) return fail(a.error().message);
    listed.push_back(*a);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  ArchList out;
  out.native = listed.front();
  if (listed.size() > 1) {
    for (const syscalls::Arch* a : listed) out.keep.push_back(a->id);
  }
  return out;
}

Expected<pipeline::Request> pipeline_request(const ParsedArgs& parsed, std::string profile, const ArchList& arches) {
  pipeline::Request request;
  request.profile = std::move(profile);
  request.read = read_options(parsed);
  auto resolve = resolve_options(parsed, arches.native->id);
  if (!resolve) return fail(resolve.error().message);
  request.resolve = std::move(*resolve);
  request.keep_abis = arches.keep;
  auto target = target_options(parsed);
  if (!target) return fail(target.error().message);
  request.target = std::move(*target);
  return request;
}

void print_diagnostics(const pipeline::Diagnostics& diagnostics) {
  const std::string text = pipeline::diagnostic_text(diagnostics);
  std::fwrite(text.data(), 1, text.size(), stderr);
}

void print_warnings(std::span<const std::string> warnings) {
  std::string text;
  for (const std::string& w : warnings) {
    text += "sysfence: warning: ";
    text += one_line(w);
    text += '\n';
  }
  std::fwrite(text.data(), 1, text.size(), stderr);
}

Expected<pipeline::Result, pipeline::Failure> run_pipeline(const pipeline::Request& request) {
  auto result = pipeline::run(request);
  print_diagnostics(result ? result->diagnostics : result.error().diagnostics);
  return result;
}

}  // namespace sysfence::cli
