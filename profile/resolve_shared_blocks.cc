// libseccomp 2.5.4's blocks shared across the syscalls of one filter, under
// its semantics (--semantics libseccomp|runc).
//
// gen_bpf keeps one hash table of blocks for the whole filter: a block
// identical to one written before (the same instructions, jumps to the same
// blocks or actions) is that block, whichever syscall or ABI wrote it. A
// block that relies on the accumulator (it tests a word an earlier block of
// its level loaded) keeps the state its first writer expected, and the
// layout prepends a reload only if the first block of all that jumps to it
// leaves another state. So where two syscalls' rules end in identical
// blocks, one syscall's comparison can see the word the other syscall's
// program loaded, or a reload the other's layout put there
// (profile/libseccomp_codegen.h has the rest of the model). The filter is
// modelled as gen_bpf writes it: ABI blocks in the order of the filter's
// architectures (x86_64 with x32 at the first of the two), an ABI's
// syscalls from the last of its list to the first — at optimize level 1
// (libseccomp's default) the list is its priority order (fewest tree nodes
// first, then the primary database, then the lower number), at level 2 (the
// binary tree) the numbers from the highest down — and laid out from the
// last ABI's last syscall back to the first ABI's first.
// Checked against libseccomp 2.5.4's filters for random profiles.
#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "profile/libseccomp_tree.h"
#include "profile/resolver.h"
#include "profile/rule_database.h"
#include "syscalls/table.h"

namespace sysfence::profile {

namespace {

// One syscall of the filter with argument tests: where its rules are, and
// its place in gen_bpf's priority order within its ABI block.
struct FilterEntry {
  size_t arch = 0;  // index of arches_
  uint32_t nr = 0;
  std::vector<policy::Rule> rules;
  int64_t nodes = 0;
  size_t db = 0;  // 0: the block's primary database, 1: x32 beside x86_64
};

// gen_bpf's priority order within a block: fewest nodes first, the primary
// database first among equals, then the lower number.
bool before_in_priority(const FilterEntry& x, const FilterEntry& y) {
  return std::tie(x.nodes, x.db, x.nr) < std::tie(y.nodes, y.db, y.nr);
}

}  // namespace

std::vector<std::vector<Resolver::FilterRules>> Resolver::filter_rules() {
  std::vector<std::vector<FilterRules>> out;
  for (const std::vector<size_t>& block : libseccomp_blocks()) {
    std::vector<FilterRules>& entries = out.emplace_back();
    for (size_t db = 0; db < block.size(); ++db) {
      const size_t a = block[db];
      const MadeRules& made = made_[a];  // sorted by number (store_rules)
      std::vector<const MadeRule*> kept;
      for (size_t first = 0; first < made.size();) {
        size_t end = first;
        while (end < made.size() && made[end].nr == made[first].nr) ++end;
        kept.clear();
        distinct_rules(std::span<const MadeRule>(made).subspan(first, end - first), kept);
        FilterRules entry{a, made[first].nr, db, {}};
        for (const MadeRule* m : kept) {
          policy::Rule& r = entry.rules.emplace_back();
          fill_rule(*m, arches_[a], r);
          std::erase_if(r.conditions, tests_nothing);
        }
        first = end;
        if (std::any_of(entry.rules.begin(), entry.rules.end(),
                        [](const policy::Rule& r) { return !r.conditions.empty(); }))
          entries.push_back(std::move(entry));
      }
    }
  }
  return out;
}

void Resolver::share_libseccomp_blocks() {
  if (!libseccomp_filter_semantics()) return;
  const bool by_number = libseccomp_level() == 2;
  // Per ABI block, its syscalls with argument tests in gen_bpf's order of
  // writing them: the last of the priority order first.
  std::vector<std::vector<FilterEntry>> blocks;
  size_t count = 0;
  for (std::vector<FilterRules>& block : filter_rules()) {
    std::vector<FilterEntry>& entries = blocks.emplace_back();
    for (FilterRules& f : block) {
      const std::optional<int64_t> nodes = libseccomp_node_count(f.rules, syscalls::arch(arches_[f.arch]).word_bits);
      if (!nodes) return;  // refused (combine says so) or beyond the model (its note)
      entries.push_back(FilterEntry{f.arch, f.nr, std::move(f.rules), *nodes, f.db});
    }
    if (by_number) {
      // Level 2 lists an ABI's syscalls by number, the highest first (x32's
      // beside x86_64's above them), and writes them from the last.
      std::sort(entries.begin(), entries.end(), [](const FilterEntry& x, const FilterEntry& y) { return x.nr < y.nr; });
    } else {
      std::sort(entries.begin(), entries.end(), before_in_priority);
      std::reverse(entries.begin(), entries.end());
    }
    count += entries.size();
  }
  if (count < 2) return;  // nothing to share with
  std::vector<FilterSyscall> written;
  std::vector<const FilterEntry*> entry_of;
  written.reserve(count);
  for (const std::vector<FilterEntry>& block : blocks)
    for (const FilterEntry& e : block) {
      written.push_back(FilterSyscall{&e.rules, syscalls::arch(arches_[e.arch]).word_bits});
      entry_of.push_back(&e);
    }
  // The layout pulls from the end of the program: the last ABI block's
  // syscalls first, each block's in the order written.
  std::vector<size_t> layout;
  layout.reserve(count);
  size_t end = count;
  for (auto block = blocks.rbegin(); block != blocks.rend(); ++block) {
    const size_t begin = end - block->size();
    for (size_t k = begin; k < end; ++k) layout.push_back(k);
    end = begin;
  }
  auto programs = libseccomp_filter_trees(written, layout);
  if (!programs) {
    out_.unmodelled_combination.push_back(fmt::format(
        "{}: libseccomp 2.5.4 shares identical blocks of its filter between syscalls, which can make one syscall's "
        "comparison see another's argument word; that is beyond the bounds of sysfence's model for this profile: "
        "each syscall's rules are taken as its own program alone answers them, and libseccomp's filter may answer "
        "otherwise",
        p_.source));
    out_.notes.push_back(out_.unmodelled_combination.back());
    return;
  }
  for (size_t k = 0; k < count; ++k) {
    FilterSyscallProgram& program = (*programs)[k];
    if (program.kind == FilterSyscallProgram::Kind::kAsAlone) continue;
    const FilterEntry& e = *entry_of[k];
    const ArchId abi = arches_[e.arch];
    if (std::find(out_.number_load_lost_arches.begin(), out_.number_load_lost_arches.end(), abi) !=
        out_.number_load_lost_arches.end())
      continue;  // its rules went
    const auto name = syscalls::table(abi).name(e.nr);
    const std::string who =
        fmt::format("{} ({})", name ? std::string(*name) : fmt::format("nr {}", e.nr), syscalls::arch(abi).name);
    if (program.kind == FilterSyscallProgram::Kind::kUnread) {
      out_.unmodelled_combination.push_back(fmt::format(
          "{}: libseccomp 2.5.4's filter shares blocks between the conditional rules of {} and another syscall's, "
          "which can make one of its comparisons see another argument word; what its program then answers is beyond "
          "the bounds of sysfence's model (its paths split into more than 4096 paths or conditions): its rules are "
          "taken as its own program alone answers them, and libseccomp's filter may answer otherwise",
          p_.source, who));
      out_.notes.push_back(out_.unmodelled_combination.back());
      continue;
    }
    out_.filter_paths.emplace_back(abi, e.nr);
    auto& rules = out_.policy.arches[e.arch].rules;
    if (program.paths.empty()) rules.erase(e.nr);
    else rules[e.nr] = std::move(program.paths);
    out_.notes.push_back(fmt::format(
        "{}: libseccomp 2.5.4's filter shares blocks between the conditional rules of {} and another "
        "syscall's, and there one of its comparisons sees another argument word than its rule names (a block "
        "written for the other syscall keeps the accumulator it expected, or the reload the other's layout put "
        "there); sysfence follows the filter, so some inputs get what the filter answers, not what the rules say",
        p_.source, who));
  }
}

}  // namespace sysfence::profile
