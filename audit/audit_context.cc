#include "audit/audit_context.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "syscalls/arg_widths.h"
#include "syscalls/compat.h"
#include "syscalls/table.h"

namespace sysfence::audit {

using syscalls::ArchId;
using verify::Outcome;
using verify::WordAtom;
using verify::WordSet;

namespace {
constexpr uint32_t kAuditArchLe = 0x40000000U;  // __AUDIT_ARCH_LE
}  // namespace

std::string num(uint64_t v) { return v < 10 ? fmt::format("{}", v) : fmt::format("{:#x}", v); }

std::string plural(size_t n, std::string_view word) { return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s"); }

std::string list_some(const std::vector<std::string>& items, size_t shown) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < shown; ++i) {
    if (i > 0) out += (i + 1 == items.size() && items.size() <= shown) ? " and " : ", ";
    out += items[i];
  }
  if (items.size() > shown) out += fmt::format(" and {} more", items.size() - shown);
  return out;
}

std::string ranges(const std::vector<uint32_t>& sorted) {
  std::string out;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
    if (!out.empty()) out += ", ";
    out += i == j ? fmt::format("{}", sorted[i]) : fmt::format("{}-{}", sorted[i], sorted[j]);
    i = j + 1;
  }
  return out;
}

unsigned kernel_bits(ArchId abi, uint32_t nr, unsigned i) {
  auto info = syscalls::arg_info(abi, nr);
  if (info && info->known) return info->bits(i);
  return syscalls::register_bits(abi);
}

unsigned arg_index(ArchId abi, uint32_t nr, std::string_view name, unsigned fallback) {
  if (auto info = syscalls::arg_info(abi, nr); info && info->known)
    for (unsigned i = 0; i < info->count; ++i)
      if (info->args[i].name == name) return i;
  return fallback;
}

std::string arg_decl(ArchId abi, uint32_t nr, unsigned i) {
  if (auto info = syscalls::arg_info(abi, nr); info && info->known && i < info->count) {
    const auto& a = info->args[i];
    const bool pointer = !a.type.empty() && a.type.back() == '*';
    return fmt::format("{}{}{}", a.type, pointer ? "" : " ", a.name);
  }
  return fmt::format("arg{}", i);
}

AuditContext::AuditContext(const verify::PathExplorer& x, const ProgramAuditOptions& o)
    : x_(x), o_(o), view_budget_(o.max_paths), view_work_budget_(o.max_work) {
  whole_program_walk();
  choose_abis();
}

const Abi* AuditContext::find_abi(ArchId id) const {
  for (const Abi& a : abis_)
    if (a.id == id) return &a;
  return nullptr;
}

const syscalls::Arch& AuditContext::meant_arch() const {
  return o_.arch != nullptr ? *o_.arch : syscalls::native_arch();
}

std::vector<const syscalls::Arch*> AuditContext::kernel_abis() const {
  std::vector<const syscalls::Arch*> out = {&meant_arch()};
  for (const syscalls::CompatAbi* c : syscalls::compat_abis_of(meant_arch().id))
    if (c->compat != ArchId::kX32) out.push_back(&syscalls::arch(c->compat));
  return out;
}

// -------------------------------------------------------------------------
// The whole program
// -------------------------------------------------------------------------

void AuditContext::whole_program_walk() {
  facts_.executed.assign(x_.program().size(), false);
  facts_.stats = x_.walk({}, verify::WalkLimits(o_.max_paths, o_.max_work), [&](const verify::Path& p) {
    if (facts_.traces_complete) {
      const auto pcs = x_.trace(p.witness);
      for (uint32_t pc : pcs) facts_.executed[pc] = true;
      trace_budget_ -= std::min<uint64_t>(trace_budget_, pcs.size());
      if (trace_budget_ == 0) facts_.traces_complete = false;
    }
    if (p.outcome.kind == Outcome::Kind::kUnsupported) {
      ++facts_.unsupported_paths;
      const std::string what = fmt::format("instruction {}: {}", p.outcome.where, p.outcome.reason);
      if (facts_.unsupported.size() < 4 &&
          std::find(facts_.unsupported.begin(), facts_.unsupported.end(), what) == facts_.unsupported.end())
        facts_.unsupported.push_back(what);
      for (const syscalls::Arch* a : kernel_abis())
        if (p.words[verify::kWordArch].contains(a->audit_arch)) facts_.unsupported_kernel_arches.insert(a->audit_arch);
    }
    const WordSet& nr = p.words[verify::kWordNr];
    const WordSet& arch = p.words[verify::kWordArch];
    const auto pinned = arch.pinned();
    if (!nr.unconstrained()) {
      if (pinned) {
        facts_.handled_arches.insert(*pinned);
      } else {
        if (++facts_.unchecked_paths == 1)
          facts_.unchecked = PathExample{p, first_use(p.witness, 1u << verify::kWordNr)};
        for (const syscalls::Arch* a : kernel_abis())
          if (arch.contains(a->audit_arch)) facts_.unchecked_kernel_arches.insert(a->audit_arch);
      }
    }
    if (!p.words[verify::kWordIpLo].unconstrained() || !p.words[verify::kWordIpHi].unconstrained()) {
      if (++facts_.ip_paths == 1)
        facts_.ip = PathExample{p, first_use(p.witness, (1u << verify::kWordIpLo) | (1u << verify::kWordIpHi))};
    }
  });
}

// The first jump (or `ret A`) on `input`'s path that reads one of `words`.
uint32_t AuditContext::first_use(const SeccompWords& input, uint32_t words) const {
  for (const verify::WordUse& u : x_.word_uses(input))
    if (u.words & words) return u.pc;
  return 0;
}

void AuditContext::add_abi(uint32_t audit_arch) {
  const syscalls::Arch* chosen = nullptr;
  if (o_.arch != nullptr && o_.arch->audit_arch == audit_arch && o_.arch->id != ArchId::kX32) chosen = o_.arch;
  if (o_.arch != nullptr && o_.arch->id == ArchId::kX32 && audit_arch == o_.arch->audit_arch)
    chosen = &syscalls::arch(ArchId::kX86_64);
  for (const auto& a : syscalls::all_arches())
    if (chosen == nullptr && a.audit_arch == audit_arch && a.id != ArchId::kX32) chosen = &a;
  if (chosen == nullptr) {
    scope_.push_back(
        fmt::format("AUDIT_ARCH value {:#x}: no ABI sysfence knows; its syscalls are not "
                    "examined",
                    audit_arch));
    return;
  }
  const Endian e = (audit_arch & kAuditArchLe) != 0 ? Endian::kLittle : Endian::kBig;
  if (find_abi(chosen->id) == nullptr) abis_.push_back(Abi{chosen->id, audit_arch, e});
  if (chosen->id == ArchId::kX86_64 && find_abi(ArchId::kX32) == nullptr)
    abis_.push_back(Abi{ArchId::kX32, audit_arch, e});
}

void AuditContext::choose_abis() {
  for (uint32_t a : facts_.handled_arches) add_abi(a);
  for (uint32_t a : o_.more_arches) add_abi(a);
  // A filter that never fixes the arch still decides by number: read the
  // numbers in the ABI it was written for.
  if (facts_.unchecked || facts_.stats.truncated || abis_.empty()) add_abi(meant_arch().audit_arch);
  // The ABI the filter is for first, x32 right after x86_64, then by value.
  const syscalls::Arch& first = meant_arch();
  auto rank = [&](const Abi& a) {
    const bool is_first = a.id == first.id || (first.id == ArchId::kX32 && a.id == ArchId::kX86_64);
    return std::make_tuple(is_first ? 0 : 1, a.audit_arch, a.id == ArchId::kX32 ? 1 : 0);
  };
  std::stable_sort(abis_.begin(), abis_.end(), [&](const Abi& a, const Abi& b) { return rank(a) < rank(b); });
  std::string names;
  for (const Abi& a : abis_) names += fmt::format("{}{}", names.empty() ? "" : ", ", a.name());
  scope_.push_back(fmt::format("program: {}, {}{}; ABIs: {}", plural(x_.program().size(), "instruction"),
                               plural(facts_.stats.paths, "path"), facts_.stats.truncated ? " (budget reached)" : "",
                               names.empty() ? "none" : names));
}

// -------------------------------------------------------------------------
// Per syscall
// -------------------------------------------------------------------------

const std::vector<verify::Path>& AuditContext::view(const Abi& abi, uint32_t nr) {
  const auto key = std::make_pair(static_cast<size_t>(abi.id), nr);
  auto it = views_.find(key);
  if (it != views_.end()) return it->second;
  const verify::Constraint c[] = {{verify::kWordArch, WordAtom::Eq(abi.audit_arch)},
                                  {verify::kWordNr, WordAtom::Eq(nr)}};
  verify::WalkStats s;
  const uint64_t limit = view_bytes_left_ == 0 ? 0 : std::min(kViewPaths, view_budget_);
  auto paths = walk_view(c, verify::WalkLimits(limit, view_work_budget_), s);
  view_budget_ -= std::min<uint64_t>(view_budget_, paths.size());
  view_work_budget_ -= std::min<uint64_t>(view_work_budget_, s.atoms);
  uint64_t bytes = 0;
  for (const verify::Path& p : paths) {
    bytes += sizeof(p);
    for (const WordSet& w : p.words)
      bytes += w.excluded().capacity() * sizeof(uint32_t) + w.clauses().capacity() * sizeof(WordSet::Clause);
  }
  view_bytes_left_ -= std::min(view_bytes_left_, bytes);
  view_truncated_ = view_truncated_ || s.truncated || limit == 0;
  return views_.emplace(key, std::move(paths)).first->second;
}

// A stack's joint paths under `c`, as PathExplorer::walk gives one
// program's: every filter is walked, and each path's outcome is the
// kernel's combination of theirs.
std::vector<verify::Path> AuditContext::walk_view(std::span<const verify::Constraint> c, verify::WalkLimits limits,
                                                  verify::WalkStats& stats) const {
  if (o_.stack == nullptr) return x_.paths(c, limits, &stats);
  std::vector<verify::Path> out;
  stats = verify::walk_paths(*o_.stack, c, limits, [&](const verify::Path& p) { out.push_back(p); });
  return out;
}

Action AuditContext::run(const SeccompWords& w) const {
  return o_.stack != nullptr ? o_.stack->run(w) : x_.run(w).action();
}

bool AuditContext::spend_pair() {
  if (pair_budget_ == 0) {
    pairs_truncated_ = true;
    return false;
  }
  --pair_budget_;
  return true;
}

// x32 joins the audit with x86_64 (same AUDIT_ARCH); a filter that answers
// every x32 number alike (the usual "x32 is a bad arch") does not handle it,
// and per-ABI advice (ENOSYS, default action) does not apply there.
bool AuditContext::tells_apart(const Abi& abi) {
  if (abi.id != ArchId::kX32) return true;
  std::optional<uint32_t> only;
  for (const auto& sys : syscalls::table(abi.id).entries())
    for (const verify::Path& p : view(abi, sys.nr)) {
      if (p.outcome.kind != Outcome::Kind::kAction) return true;
      if (only && *only != encode(p.outcome.action)) return true;
      only = encode(p.outcome.action);
    }
  return false;
}

// Computed once per ABI: check_seed_blocked asks for every syscall.
std::optional<Action> AuditContext::default_action(const Abi& abi) const {
  const auto cached = default_actions_.find(abi.id);
  if (cached != default_actions_.end()) return cached->second;
  return default_actions_[abi.id] = vote_on_holes(abi);
}

// Holes in an ABI's table (numbers no syscall has) below its largest number:
// only a filter's default action can decide them. Only the holes of the
// table's main block count: ARM's private calls sit at 0x0f0001, about a
// million numbers above the rest, and the numbers in between are "newer than
// the table" (answered ENOSYS by runc's stub), not holes; running a
// 700-instruction chain on each of them took seconds.
std::optional<Action> AuditContext::vote_on_holes(const Abi& abi) const {
  const auto& table = syscalls::table(abi.id);
  if (table.size() == 0) return std::nullopt;
  const uint32_t first = table.entries().front().nr;
  uint32_t block_end = first;  // one past the last number of the main block
  for (const auto& e : table.entries()) {
    if (e.nr - first < kMainBlockSpan) block_end = std::max(block_end, e.nr + 1);
  }
  std::map<uint32_t, size_t> votes;  // encoded action -> holes answering it
  for (uint32_t nr = first; nr < block_end; ++nr) {
    if (table.find(nr) != nullptr) continue;
    SeccompData d;
    d.arch = abi.audit_arch;
    d.nr = nr;
    ++votes[encode(run(to_words(d, abi.endian)))];
  }
  if (votes.empty()) return std::nullopt;
  const auto best =
      std::max_element(votes.begin(), votes.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  return decode(best->first);
}

std::optional<Action> AuditContext::abi_default(const Abi& abi) const {
  if (o_.intent != nullptr) {
    if (const policy::ArchPolicy* ap = o_.intent->find(abi.id)) return ap->default_action;
  }
  return default_action(abi);
}

bool AuditContext::default_is_permissive(const Abi& abi) const {
  auto a = abi_default(abi);
  return a && permissive(*a);
}

std::vector<Allowed> AuditContext::allowed_on(std::string_view name) {
  std::vector<Allowed> out;
  for (const Abi& abi : abis_) {
    auto nr = number(abi, name);
    if (!nr) continue;
    const std::vector<verify::Path>& paths = view(abi, *nr);
    const verify::Path* first = nullptr;
    bool all = !paths.empty();
    for (const verify::Path& p : paths) {
      const bool ok = p.outcome.kind == Outcome::Kind::kAction && permissive(p.outcome.action);
      if (ok && first == nullptr) first = &p;
      all = all && ok;
    }
    if (first != nullptr) out.push_back(Allowed{&abi, first, all});
  }
  return out;
}

// -------------------------------------------------------------------------
// Evidence
// -------------------------------------------------------------------------

std::optional<uint32_t> AuditContext::number(const Abi& abi, std::string_view name) {
  return syscalls::table(abi.id).number(name);
}

std::string AuditContext::call(const Abi& abi, const SeccompWords& w, int must_show) {
  const SeccompData d = data_of(abi, w);
  const auto name = syscalls::table(abi.id).name(d.nr);
  unsigned count = 6;
  if (auto info = syscalls::arg_info(abi.id, d.nr); info && info->known) count = info->count;
  count = std::max<unsigned>(count, static_cast<unsigned>(must_show + 1));
  std::string args;
  for (unsigned i = 0; i < count && i < 6; ++i) args += fmt::format("{}{}", i ? ", " : "", num(d.args[i]));
  return fmt::format("{}({})", name ? std::string(*name) : fmt::format("syscall_{}", d.nr), args);
}

std::string AuditContext::abi_list(const std::vector<Allowed>& a) {
  std::vector<std::string> names;
  names.reserve(a.size());
  for (const Allowed& x : a) names.emplace_back(x.abi->name());
  return list_some(names);
}

std::string AuditContext::where(const Abi& abi, const SeccompWords& w, uint32_t pc) const {
  if (o_.stack != nullptr) {
    // When every filter allows, the joint path's instruction is the newest
    // filter's `ret` (verify/stack.h).
    const auto filter = o_.stack->deciding_filter(w);
    const size_t shown = filter ? *filter : o_.stack->size() - 1;
    return fmt::format("{}filter {} ({}): instruction {}", filter ? "" : "every filter of the stack allows it; ", shown,
                       o_.stack->name(shown), pc);
  }
  const std::string rule = profile_source(abi, w);
  return fmt::format("instruction {}{}{}", pc, rule.empty() ? "" : "; ", rule);
}

// "rule default:482 (syscalls[12])", "the profile's defaultAction".
std::string AuditContext::profile_source(const Abi& abi, const SeccompWords& w) const {
  if (o_.intent == nullptr) return {};
  const SeccompData d = data_of(abi, w);
  const policy::Decision dec = policy::evaluate(*o_.intent, d);
  if (dec.rule != nullptr) {
    const auto& src = dec.rule->source;
    if (src.line != 0) return fmt::format("rule {}:{} (syscalls[{}])", src.file, src.line, src.entry);
    return fmt::format("rule {}", src.file);
  }
  if (dec.arch == nullptr) return "the bad-arch action";
  if (dec.enosys) return "the ENOSYS answer for newer syscalls";
  return "the profile's defaultAction";
}

}  // namespace sysfence::audit
