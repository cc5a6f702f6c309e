// libseccomp 2.5.4's filter without a load of the syscall number, under its
// semantics (--semantics libseccomp|runc).
//
// gen_bpf (optimize level 1: libseccomp's default, which runc keeps for up
// to 32 syscall names; level 2's binary tree loads the number) writes
// an ABI's syscalls in its order of priority — 0xffff minus the nodes of the
// syscall's rule tree, the lower number first among equals — and has the
// first of them load the number (x86_64 and x32 alone load it for their
// x32-bit test instead). A rule libseccomp files under a pseudo number is
// never written, so where such an entry comes first, no syscall loads the
// number: the ABI's tests compare the architecture word, which was just
// found equal to the ABI's, with the syscall numbers, and every call there
// gets the default action. Pseudo numbers are what libseccomp gives a
// socket/IPC call on an ABI that multiplexes it without a number of its
// own (i386's accept: the rule on socketcall is the one written) and, on
// the ABIs whose arch code keeps such rules, a name the ABI lacks
// (aarch64's open). Checked against libseccomp 2.5.4's own filters and
// exported pseudo code (their priorities), ABI by ABI.
//
// Those rules are never written, but they are in libseccomp's database all
// the same: rules on such a name that conflict (EEXIST) make it refuse the
// profile there as anywhere (refuse_pseudo_conflicts; an independent sweep
// of 32,208 random profiles against the real library found 17 that
// libseccomp refused this way and sysfence accepted).
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "profile/libseccomp_names.h"
#include "profile/libseccomp_tree.h"
#include "profile/rule_database.h"
#include "profile/resolver.h"
#include "syscalls/table.h"

namespace sysfence::profile {

namespace {

using syscalls::ArchId;

// The ABIs whose libseccomp arch code adds a rule under a pseudo number
// only for the socket/IPC calls it multiplexes (x86_rule_add and its
// likes drop the others).
bool keeps_only_multiplexed(ArchId abi) {
  switch (abi) {
    case ArchId::kI386:
    case ArchId::kMips:
    case ArchId::kMipsel:
    case ArchId::kPpc:
    case ArchId::kPpc64:
    case ArchId::kPpc64le:
    case ArchId::kS390:
    case ArchId::kS390x: return true;
    default: return false;
  }
}

// The ABIs of libseccomp 2.5.4 whose arch code keeps every rule, pseudo
// numbers included.
bool keeps_every_rule(ArchId abi) {
  switch (abi) {
    case ArchId::kX86_64:
    case ArchId::kX32:
    case ArchId::kArm:
    case ArchId::kAarch64:
    case ArchId::kMips64:
    case ArchId::kMips64el:
    case ArchId::kMips64n32:
    case ArchId::kMipsel64n32:
    case ArchId::kRiscv64:
    case ArchId::kParisc:
    case ArchId::kParisc64: return true;
    default: return false;
  }
}

// runc's threshold for libseccomp's binary tree: more syscalls than this.
constexpr size_t kRuncBinaryTreeAbove = 32;

// One syscall entry of libseccomp's database for an ABI: its place in the
// order gen_bpf writes them is (nodes, db, written before pseudo).
struct Ranked {
  int64_t nodes = 0;
  size_t db = 0;  // 0: the primary database of the block, 1: x32 beside x86_64
};

// Whether `valid` (a written syscall) comes before `pseudo` in gen_bpf's
// order: fewer nodes first; among equals the primary database's entries
// come first, and within one database the lower number, which a written
// syscall's always is (a pseudo number is negative, unsigned there).
bool comes_first(const Ranked& valid, const Ranked& pseudo) {
  if (valid.nodes != pseudo.nodes) return valid.nodes < pseudo.nodes;
  return valid.db <= pseudo.db;
}

}  // namespace

void Resolver::note_pseudo_rules(size_t a, std::string_view name, bool multiplexed, size_t entry,
                                 size_t condition_sets) {
  const ArchId abi = arches_[a];
  if (keeps_only_multiplexed(abi) ? !multiplexed : !keeps_every_rule(abi)) return;
  // runc hands libseccomp only the names it resolves on the host.
  if (syscalls::numbers_by_name(name) == nullptr || !libseccomp_knows(o_.native, name)) return;
  for (size_t set = 0; set < condition_sets; ++set)
    pseudo_rules_[a].push_back(PseudoRule{name, static_cast<uint32_t>(entry), static_cast<uint32_t>(set)});
}

Expected<void> Resolver::refuse_pseudo_conflicts() const {
  if (o_.combination != RuleCombination::kLibseccompDatabase) return {};
  for (size_t a = 0; a < arches_.size(); ++a) {
    // Only these ABIs' arch code files a rule of a name the ABI lacks (the
    // others' pseudo numbers are the multiplexed calls, whose rules go to
    // socketcall/ipc and are checked there).
    if (!keeps_every_rule(arches_[a])) continue;
    for (PseudoGroup& g : pseudo_groups(a)) {
      if (g.rules.size() < 2) continue;
      for (policy::Rule& r : g.rules) std::erase_if(r.conditions, tests_nothing);
      const DatabaseResult db = libseccomp_database(g.rules, syscalls::arch(arches_[a]).word_bits, false);
      if (!db.refused) continue;
      const auto [x, y] = *db.refused;
      auto at = [&](const policy::Rule& r) {
        return fmt::format("{}: syscalls[{}]", where(p_.syscalls[r.source.entry].pos), r.source.entry);
      };
      return fail(fmt::format(
          "{} and {} give {} ({}, which has no such syscall) {} with different actions ({}, {}): libseccomp files "
          "them under a pseudo number there all the same and refuses the later rule (EEXIST), so runc would refuse "
          "the profile",
          at(g.rules[x]), at(g.rules[y]), g.name, syscalls::arch(arches_[a]).name, refusal_kind(db),
          to_string(g.rules[x].action), to_string(g.rules[y].action)));
    }
  }
  return {};
}

bool Resolver::runc_keeps_level_one() const {
  // runc asks for the binary tree (optimize level 2), which loads the
  // number, when its configuration has more than 32 syscalls: one per name
  // of every entry moby kept (InitSeccomp).
  size_t names = 0;
  for (size_t i = 0; i < p_.syscalls.size(); ++i)
    if (out_.entries[i].fate != EntryFate::kFiltered) names += p_.syscalls[i].names.size();
  return names <= kRuncBinaryTreeAbove;
}

std::vector<std::vector<size_t>> Resolver::libseccomp_blocks() const {
  // x86_64 with x32 where the first of them is (the first added is the
  // primary), or one ABI.
  const auto x86_64 = std::find(arches_.begin(), arches_.end(), ArchId::kX86_64);
  const auto x32 = std::find(arches_.begin(), arches_.end(), ArchId::kX32);
  const bool paired = x86_64 != arches_.end() && x32 != arches_.end();
  std::vector<std::vector<size_t>> blocks;
  for (size_t a = 0; a < arches_.size(); ++a) {
    const auto at = arches_.begin() + static_cast<std::ptrdiff_t>(a);
    if (!paired || (at != x86_64 && at != x32)) {
      blocks.push_back({a});
    } else if (at == std::min(x86_64, x32)) {
      blocks.push_back({a, static_cast<size_t>(std::max(x86_64, x32) - arches_.begin())});
    }
  }
  return blocks;
}

std::vector<Resolver::PseudoGroup> Resolver::pseudo_groups(size_t a) const {
  const std::vector<PseudoRule>& made = pseudo_rules_[a];
  // The rules grouped by name once (a profile may file a million rules
  // under a few hundred names), the groups then put in the order of their
  // first rule made.
  std::vector<size_t> order(made.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return made[x].name < made[y].name; });
  std::vector<std::pair<size_t, PseudoGroup>> groups;  // (first rule made, group)
  for (size_t first = 0; first < order.size();) {
    PseudoGroup g{made[order[first]].name, {}};
    size_t end = first;
    for (; end < order.size() && made[order[end]].name == g.name; ++end)
      fill_rule(MadeRule{0, 0, made[order[end]].entry, made[order[end]].set, nullptr}, arches_[a],
                g.rules.emplace_back());
    groups.emplace_back(order[first], std::move(g));
    first = end;
  }
  std::sort(groups.begin(), groups.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<PseudoGroup> out;
  out.reserve(groups.size());
  for (auto& [first_made, g] : groups) out.push_back(std::move(g));
  return out;
}

Resolver::FirstPseudo Resolver::first_pseudo(std::span<const size_t> block) const {
  FirstPseudo out;
  for (size_t db = 0; db < block.size(); ++db) {
    const size_t a = block[db];
    const unsigned bits = syscalls::arch(arches_[a]).word_bits;
    // One entry per name; the first made wins among equal counts.
    for (const PseudoGroup& g : pseudo_groups(a)) {
      const std::optional<int64_t> nodes = libseccomp_node_count(g.rules, bits);
      if (!nodes) return FirstPseudo{0, 0, {}, true};
      if (!out.name.empty() && *nodes >= out.nodes) continue;
      out = FirstPseudo{*nodes, db, g.name, false};
    }
  }
  return out;
}

std::optional<bool> Resolver::number_loaded(std::span<const size_t> block, const FirstPseudo& pseudo,
                                            bool& collides) const {
  const uint32_t token = syscalls::arch(arches_[block.front()]).audit_arch;
  for (size_t db = 0; db < block.size(); ++db) {
    const size_t a = block[db];
    const unsigned bits = syscalls::arch(arches_[a]).word_bits;
    const MadeRules& made = made_[a];  // sorted by number (store_rules)
    for (size_t first = 0; first < made.size();) {
      size_t end = first;
      std::vector<policy::Rule> rules;
      for (; end < made.size() && made[end].nr == made[first].nr; ++end) fill_rule(made[end], arches_[a], rules.emplace_back());
      collides = collides || made[first].nr == token;
      first = end;
      const std::optional<int64_t> nodes = libseccomp_node_count(rules, bits);
      if (!nodes) return std::nullopt;
      if (comes_first(Ranked{*nodes, db}, Ranked{pseudo.nodes, pseudo.db})) return true;
    }
  }
  return false;
}

bool Resolver::libseccomp_filter_semantics() const {
  return o_.multiplex == MultiplexRewrite::kLibseccomp && o_.combination == RuleCombination::kLibseccompDatabase &&
         o_.arg_width == ArgWidthMode::k64;
}

unsigned Resolver::libseccomp_level() const {
  if (o_.libseccomp_optimize != 0) return o_.libseccomp_optimize;
  return o_.for_runc && !runc_keeps_level_one() ? 2 : 1;
}

void Resolver::lose_number_loads() {
  // Level 2's binary tree loads the number.
  if (!libseccomp_filter_semantics() || libseccomp_level() != 1) return;
  for (const std::vector<size_t>& block : libseccomp_blocks()) {
    // x86_64 or x32 alone loads the number for its x32-bit test.
    if (block.size() == 1 && (arches_[block[0]] == ArchId::kX86_64 || arches_[block[0]] == ArchId::kX32)) continue;
    const FirstPseudo pseudo = first_pseudo(block);
    if (pseudo.beyond_model || pseudo.name.empty()) continue;  // the rules stay
    bool collides = false;  // a written number equal to the ABI's AUDIT_ARCH
    const std::optional<bool> loaded = number_loaded(block, pseudo, collides);
    if (!loaded || *loaded) continue;
    std::vector<std::string> names;
    for (size_t a : block) names.emplace_back(syscalls::arch(arches_[a]).name);
    const std::string abis = fmt::format("{}", fmt::join(names, " and "));
    std::string message = fmt::format(
        "{}: libseccomp 2.5.4 at optimize level 1 (its default, which runc keeps for up to 32 syscall names) writes "
        "no load of the syscall number for {}: the syscall it orders first there is {}, which {} has no number of "
        "its own for ({}), and its rule is never written",
        p_.source, abis, pseudo.name, abis,
        keeps_only_multiplexed(arches_[block.front()]) ? "it is reached through socketcall/ipc"
                                                       : "libseccomp files its rule under a pseudo number");
    if (collides) {
      // The architecture word equals a syscall number tested there: that
      // syscall's tests would run for every call, on stale words.
      out_.unmodelled_combination.push_back(message + "; sysfence does not model what its filter answers there");
      out_.notes.push_back(out_.unmodelled_combination.back());
      continue;
    }
    message += fmt::format(
        ", so its filter compares the architecture with the syscall numbers and answers every {} call with the "
        "default action, {}; so does this filter (the profile's rules for {} are not applied)",
        abis, to_string(default_action_), abis);
    for (size_t a : block) {
      out_.policy.arches[a].rules.clear();
      out_.number_load_lost_arches.push_back(arches_[a]);
    }
    out_.number_load_lost.push_back(message);
    out_.notes.push_back(message);
  }
}

}  // namespace sysfence::profile
