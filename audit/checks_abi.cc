#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "audit/checks.h"
#include "profile/errno_names.h"
#include "syscalls/table.h"

namespace sysfence::audit {

using syscalls::ArchId;
using verify::Outcome;
using verify::WordAtom;

namespace {

// An input both paths admit, except that argument `arg`'s high word (word
// `hw`) is `dirty_hi`, which only the loose path needs to admit; when the
// clean high word is 0xffffffff, the low word (`lw`) is negative so that the
// clean form is its sign extension. nullopt when no word has a common value.
std::optional<SeccompWords> common_input(const verify::Path& loose, const verify::Path& tight, unsigned hw, unsigned lw,
                                         uint32_t dirty_hi, uint32_t clean_hi) {
  SeccompWords x{};
  for (unsigned w = 0; w < verify::kWordCount; ++w) {
    if (w == hw) {
      x[w] = dirty_hi;
      continue;
    }
    const bool negative_low = w == lw && clean_hi == 0xffffffffU;
    // Cheap first: one side's witness inside the other side's set.
    const uint32_t a = loose.witness[w];
    const uint32_t b = tight.witness[w];
    if (!negative_low && tight.words[w].contains(a)) {
      x[w] = a;
      continue;
    }
    if (!negative_low && loose.words[w].contains(b)) {
      x[w] = b;
      continue;
    }
    auto both = intersect(loose.words[w], tight.words[w]);
    if (both && negative_low) {
      const WordAtom negative[] = {WordAtom::Ge(0x80000000U)};
      both = restrict(*both, negative);
    }
    if (!both) return std::nullopt;
    x[w] = both->witness();
  }
  return x;
}

// `x` (dirty high word) is answered `got`, looser than `clean`'s `meant`.
struct WidthBypass {
  SeccompWords x;
  Action got;
  SeccompWords clean;
  Action meant;
};

void report_width_bypass(const AuditContext& ctx, Findings& out, const Abi& abi, const syscalls::Syscall& sys,
                         unsigned i, unsigned bits, const WidthBypass& b, uint32_t pc) {
  const auto& [x, got, clean, meant] = b;
  out.add(check::kArgWidth, permissive(got) ? Severity::kHigh : Severity::kMedium,
          fmt::format("{} on {}: argument {} ({}) is {}-bit to the kernel but the filter compares all 64 bits: "
                      "{} is answered {}, while {} — the same call to the kernel — is answered {}",
                      sys.name, abi.name(), i, arg_decl(abi.id, sys.nr, i), bits,
                      AuditContext::call(abi, x, static_cast<int>(i)), to_string(got),
                      AuditContext::call(abi, clean, static_cast<int>(i)), to_string(meant)),
          fmt::format("compare only the low 32 bits of {} argument {} (sysfence compile --arg-width=abi)", sys.name, i),
          ctx.where(abi, x, pc))
      .inputs = {AuditContext::data_of(abi, x), AuditContext::data_of(abi, clean)};
}

// Two inputs the kernel cannot tell apart — equal except in the high word
// of argument `i`, which it ignores — answered differently, the one with a
// dirty high word more loosely: the pair (loose path, tight path) where
// the tight one admits the clean high word (zero-, or for a negative low
// word sign-extended) and every other word admits a common value.
bool find_width_bypass(AuditContext& ctx, Findings& out, const Abi& abi, const syscalls::Syscall& sys, unsigned i,
                       unsigned bits, const std::vector<verify::Path>& paths) {
  const unsigned hw = abi.hi_word(i);
  const unsigned lw = abi.lo_word(i);
  for (const verify::Path& loose : paths) {
    if (loose.outcome.kind != Outcome::Kind::kAction) continue;
    for (const verify::Path& tight : paths) {
      if (tight.outcome.kind != Outcome::Kind::kAction || !looser(loose.outcome.action, tight.outcome.action)) continue;
      if (!ctx.spend_pair()) return false;
      // The loose input's high word is neither extension of any low word
      // (0 or 0xffffffff): a value no 32-bit caller produces. Discrepancies
      // between the zero- and the sign-extended form of one value are no
      // bypass: both are ordinary ways to pass it.
      const WordAtom dirty_atoms[] = {WordAtom::Ne(0), WordAtom::Ne(0xffffffffU)};
      auto dirty = restrict(loose.words[hw], dirty_atoms);
      if (!dirty) continue;
      // The example: the smallest dirty high word when the path admits it
      // (socket(0x1_0000_0026, ...)).
      const uint32_t dirty_hi = dirty->contains(1) ? 1 : dirty->witness();
      for (const uint32_t clean_hi : {0U, 0xffffffffU}) {
        if (!tight.words[hw].contains(clean_hi)) continue;
        const auto x = common_input(loose, tight, hw, lw, dirty_hi, clean_hi);
        if (!x) continue;
        SeccompWords clean = *x;
        clean[hw] = clean_hi;
        const Action got = ctx.run(*x);
        const Action meant = ctx.run(clean);
        if (!looser(got, meant)) continue;  // not confirmed by the interpreter: keep looking
        report_width_bypass(ctx, out, abi, sys, i, bits, WidthBypass{*x, got, clean, meant}, loose.outcome.where);
        return true;
      }
    }
  }
  return false;
}

void check_arg_width_on(AuditContext& ctx, Findings& out, const Abi& abi) {
  std::vector<std::string> quiet;  // 64-bit comparisons without a bypass
  for (const auto& sys : syscalls::table(abi.id).entries()) {
    const std::vector<verify::Path>& paths = ctx.view(abi, sys.nr);
    for (unsigned i = 0; i < 6; ++i) {
      const unsigned bits = kernel_bits(abi.id, sys.nr, i);
      if (bits == 0 || bits > 32) continue;
      const unsigned hw = abi.hi_word(i);
      const bool tested = std::any_of(paths.begin(), paths.end(), [&](const verify::Path& p) {
        return p.outcome.kind == Outcome::Kind::kAction && !p.words[hw].unconstrained();
      });
      if (!tested) continue;
      if (!find_width_bypass(ctx, out, abi, sys, i, bits, paths))
        quiet.push_back(fmt::format("{} {}", sys.name, arg_decl(abi.id, sys.nr, i)));
    }
  }
  if (!quiet.empty())
    out.add(check::kArgWidth, Severity::kLow,
            fmt::format("on {} the filter compares the high word of {} the kernel reads as 32-bit ({}); no input "
                        "gets a looser answer that way, but the tests are dead weight",
                        abi.name(), plural(quiet.size(), "argument"), list_some(quiet, 6)),
            "compare only the low 32 bits of those arguments (sysfence compile --arg-width=abi)");
}

// Whether x86_64 denies syscall `name` outright (the filter's author meant
// to block it).
bool denied_on_x86_64(AuditContext& ctx, const Abi& x64, std::string_view name) {
  auto n64 = AuditContext::number(x64, name);
  if (!n64) return false;
  const std::vector<verify::Path>& p64 = ctx.view(x64, *n64);
  return !p64.empty() && std::all_of(p64.begin(), p64.end(), [](const verify::Path& p) {
    return p.outcome.kind == Outcome::Kind::kAction && !permissive(p.outcome.action);
  });
}

}  // namespace

void check_arg_width(AuditContext& ctx, Findings& out) {
  for (const Abi& abi : ctx.abis()) {
    if (abi.id == ArchId::kX32) continue;  // checked with x86_64
    check_arg_width_on(ctx, out, abi);
  }
  if (const Abi* x32 = ctx.find_abi(ArchId::kX32)) check_arg_width_on(ctx, out, *x32);
}

void check_x32(AuditContext& ctx, Findings& out) {
  const Abi* x32 = ctx.find_abi(ArchId::kX32);
  const Abi* x64 = ctx.find_abi(ArchId::kX86_64);
  if (x32 == nullptr || x64 == nullptr) return;
  const policy::Policy* intent = ctx.options().intent;
  const bool meant = intent == nullptr || intent->find(ArchId::kX32) != nullptr;
  std::vector<std::string> names;
  std::optional<std::pair<SeccompWords, uint32_t>> example;
  for (const auto& sys : syscalls::table(ArchId::kX32).entries()) {
    const std::vector<verify::Path>& paths = ctx.view(*x32, sys.nr);
    const verify::Path* allowed = nullptr;
    for (const verify::Path& p : paths)
      if (p.outcome.kind == Outcome::Kind::kAction && permissive(p.outcome.action)) allowed = allowed ? allowed : &p;
    if (allowed == nullptr) continue;
    // Raw filter (or a profile with x32): flag only what the x86_64 side
    // denies outright.
    if (meant && !denied_on_x86_64(ctx, *x64, sys.name)) continue;
    names.push_back(fmt::format("{} ({:#x})", sys.name, sys.nr));
    if (!example) example = std::make_pair(allowed->witness, allowed->outcome.where);
  }
  if (names.empty()) return;
  const std::string why = meant ? "although the filter denies the same syscalls as x86_64 syscalls"
                                : "although the profile does not list SCMP_ARCH_X32";
  out.add(check::kX32, Severity::kCritical,
          fmt::format("x32 syscall numbers (bit 30 set under AUDIT_ARCH_X86_64) reach ALLOW {}: {}", why,
                      list_some(names)),
          "under AUDIT_ARCH_X86_64, answer nr 0x40000000..0xfffffffe with the bad-arch action unless x32 is meant "
          "to be supported (and then filter the x32 numbers like the x86_64 ones); leave 0xffffffff (-1, a tracer "
          "skipping the call) to the x86_64 rules",
          ctx.where(*x32, example->first, example->second))
      .inputs = {AuditContext::data_of(*x32, example->first)};
}

// Answered by the profile audit instead when the caller says so
// (ProgramAuditOptions::skip_default_check; the runner skips it).
void check_default_allow(AuditContext& ctx, Findings& out) {
  std::vector<std::string> abis;
  for (const Abi& abi : ctx.abis()) {
    if (!ctx.tells_apart(abi)) continue;
    auto a = ctx.default_action(abi);
    if (a && permissive(*a)) abis.push_back(fmt::format("{} ({})", abi.name(), to_string(*a)));
  }
  if (abis.empty()) return;
  out.add(check::kDefaultAllow, Severity::kHigh,
          fmt::format("the default action allows every syscall the filter does not name, including ones added in "
                      "later kernels, on {}",
                      list_some(abis)),
          "deny by default (ERRNO(EPERM) or KILL_PROCESS) and allow the syscalls the workload needs");
}

void check_no_enosys(AuditContext& ctx, Findings& out) {
  std::vector<std::string> abis;
  std::optional<std::pair<const Abi*, SeccompWords>> example;
  for (const Abi& abi : ctx.abis()) {
    const auto& table = syscalls::table(abi.id);
    if (table.size() == 0 || !ctx.tells_apart(abi)) continue;
    SeccompData d;
    d.arch = abi.audit_arch;
    d.nr = table.max_nr() + 1;
    const SeccompWords w = to_words(d, abi.endian);
    const Action a = ctx.run(w);
    if (permissive(a) || a == Action::Errno(profile::enosys(abi.id))) continue;
    abis.push_back(fmt::format("{} (nr {} is answered {})", abi.name(), d.nr, to_string(a)));
    if (!example) example = std::make_pair(&abi, w);
  }
  if (abis.empty()) return;
  out.add(check::kNoEnosys, Severity::kLow,
          fmt::format("syscalls newer than the filter are not answered ENOSYS, so libc cannot fall back to older "
                      "ones (clone3 to clone, faccessat2 to faccessat): {}",
                      list_some(abis)),
          "answer numbers above the newest syscall the filter knows with ERRNO(ENOSYS) (sysfence compile "
          "--unknown-syscalls enosys)",
          ctx.profile_source(*example->first, example->second))
      .inputs = {AuditContext::data_of(*example->first, example->second)};
}

}  // namespace sysfence::audit
