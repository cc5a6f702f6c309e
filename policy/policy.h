// The Policy IR: what a resolved profile means, per architecture — the single
// specification that the compiler, the verifier and `explain` all read.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "base/seccomp.h"
#include "policy/rule.h"
#include "policy/rule_list.h"
#include "syscalls/arch.h"

namespace sysfence::policy {

// Syscall number -> rules, in number order: the interface of the std::map
// it replaces (find, at, count, contains, lower_bound, operator[], emplace,
// emplace_hint, erase, iteration in number order), over one sorted vector.
// A policy's numbers are few (a syscall table's worth per ABI) and are
// added in order: appending costs no tree node per number, no rebalancing,
// and iteration walks contiguous memory. Adding a number out of order moves
// the entries after it (a table's worth at most, for every producer here).
// Unlike std::map, adding or erasing a number invalidates references and
// iterators into the map.
class RuleMap {
 public:
  using key_type = uint32_t;
  using mapped_type = RuleList;
  using value_type = std::pair<uint32_t, RuleList>;
  using iterator = std::vector<value_type>::iterator;
  using const_iterator = std::vector<value_type>::const_iterator;
  using size_type = size_t;

  RuleMap() = default;
  RuleMap(std::initializer_list<value_type> items) {
    for (const value_type& v : items) emplace(v.first, v.second);
  }

  iterator begin() { return items_.begin(); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin(); }
  const_iterator end() const { return items_.end(); }
  const_iterator cbegin() const { return items_.begin(); }
  const_iterator cend() const { return items_.end(); }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  void clear() { items_.clear(); }
  void reserve(size_t n) { items_.reserve(n); }

  iterator lower_bound(uint32_t nr) { return items_.begin() + lower_index(nr); }
  const_iterator lower_bound(uint32_t nr) const { return items_.begin() + lower_index(nr); }
  iterator upper_bound(uint32_t nr) { return lower_bound(nr) + (contains(nr) ? 1 : 0); }
  const_iterator upper_bound(uint32_t nr) const { return lower_bound(nr) + (contains(nr) ? 1 : 0); }
  iterator find(uint32_t nr) {
    const auto it = lower_bound(nr);
    return it != items_.end() && it->first == nr ? it : items_.end();
  }
  const_iterator find(uint32_t nr) const {
    const auto it = lower_bound(nr);
    return it != items_.end() && it->first == nr ? it : items_.end();
  }
  bool contains(uint32_t nr) const { return find(nr) != end(); }
  size_t count(uint32_t nr) const { return contains(nr) ? 1 : 0; }
  RuleList& at(uint32_t nr) {
    const auto it = find(nr);
    if (it == items_.end()) throw std::out_of_range("policy::RuleMap::at");
    return it->second;
  }
  const RuleList& at(uint32_t nr) const {
    const auto it = find(nr);
    if (it == items_.end()) throw std::out_of_range("policy::RuleMap::at");
    return it->second;
  }
  RuleList& operator[](uint32_t nr) { return try_emplace(nr).first->second; }

  template <class... Args>
  std::pair<iterator, bool> try_emplace(uint32_t nr, Args&&... args) {
    const auto it = lower_bound(nr);
    if (it != items_.end() && it->first == nr) return {it, false};
    return {items_.emplace(it, std::piecewise_construct, std::forward_as_tuple(nr),
                           std::forward_as_tuple(std::forward<Args>(args)...)),
            true};
  }
  template <class... Args>
  std::pair<iterator, bool> emplace(uint32_t nr, Args&&... args) {
    return try_emplace(nr, std::forward<Args>(args)...);
  }
  std::pair<iterator, bool> insert(value_type v) { return try_emplace(v.first, std::move(v.second)); }
  // O(1) when `hint` is end() and `nr` is above every number held (the
  // order resolution adds them in); otherwise as emplace.
  template <class... Args>
  iterator emplace_hint(const_iterator hint, uint32_t nr, Args&&... args) {
    if (hint == items_.cend() && (items_.empty() || items_.back().first < nr)) {
      items_.emplace_back(std::piecewise_construct, std::forward_as_tuple(nr),
                          std::forward_as_tuple(std::forward<Args>(args)...));
      return items_.end() - 1;
    }
    return try_emplace(nr, std::forward<Args>(args)...).first;
  }

  iterator erase(const_iterator it) { return items_.erase(it); }
  size_t erase(uint32_t nr) {
    const auto it = find(nr);
    if (it == items_.end()) return 0;
    items_.erase(it);
    return 1;
  }

  friend bool operator==(const RuleMap&, const RuleMap&) = default;

 private:
  size_t lower_index(uint32_t nr) const {
    return static_cast<size_t>(
        std::partition_point(items_.begin(), items_.end(), [nr](const value_type& v) { return v.first < nr; }) -
        items_.begin());
  }
  std::vector<value_type> items_;
};

// Everything that decides the syscalls of one ABI.
struct ArchPolicy {
  syscalls::ArchId arch;
  Action default_action;
  // Syscall number (as seccomp_data.nr carries it) -> rules, ORed. Among the
  // rules that match, the most restrictive action wins (base/seccomp.h order).
  RuleMap rules;
  // runc's ENOSYS handling for syscalls newer than the profile: every number
  // greater than this (unsigned) that has no rule answers ERRNO(ENOSYS).
  std::optional<uint32_t> enosys_above;
  // The ENOSYS errno that answer carries: runc uses its host's value, i.e.
  // the native arch's (38 generic, 89 MIPS, 251 PA-RISC) for every ABI of
  // the filter.
  uint16_t enosys_errno = 38;

  friend bool operator==(const ArchPolicy&, const ArchPolicy&) = default;
};

struct Policy {
  std::vector<ArchPolicy> arches;  // the native arch first, then sub-arches
  // For a seccomp_data.arch the policy does not cover, and for x32 numbers
  // (0x40000000..0xfffffffe under AUDIT_ARCH_X86_64) when x32 is not in
  // `arches`.
  Action bad_arch_action = Action::KillProcess();

  const ArchPolicy* find(syscalls::ArchId id) const;

  friend bool operator==(const Policy&, const Policy&) = default;
};

// The reference evaluator: what the filter for `policy` must answer for `d`.
// Dispatch: d.arch selects the ABI by its AUDIT_ARCH value; under
// AUDIT_ARCH_X86_64 the numbers 0x40000000..0xfffffffe (unsigned, as
// libseccomp's `jge 0x40000000`) belong to x32, 0..0x3fffffff to x86_64, and
// 0xffffffff — the -1 a tracer sets to skip a call — to x86_64 (to x32 when
// only x32 is in the policy), so it gets the normal processing (policy.cc
// says why); an ABI not in the policy gets bad_arch_action.
// Then: rules for d.nr that match (all conditions true) — the most restrictive
// action among them; else ERRNO(enosys_errno) when d.nr has no rules and
// nr > enosys_above; else the default action. Under AUDIT_ARCH_X86_64 the
// ENOSYS threshold is runc's: its stub runs before the dispatch above and
// tells the ABIs apart by bit 30 alone, so a number with bit 30 set is
// compared with x32's threshold and one with bit 30 clear with x86_64's
// (enosys_owner_x86_64). Only when one of the two ABIs has a threshold does
// that differ from the owner's: with x86_64's alone, 0x80000000..0xbfffffff
// answer ENOSYS and -1 gets x86_64's default; with x32's alone, -1 answers
// ENOSYS and 0x80000000..0xbfffffff get x32's default.
//
// "Most restrictive" is the kernel's precedence between filters
// (base/seccomp.h, restrictiveness_rank / more_restrictive):
//   KILL_PROCESS > KILL_THREAD > TRAP > ERRNO > USER_NOTIF > TRACE > LOG > ALLOW
// and, between two rules of the same kind with different data (ERRNO(1) vs
// ERRNO(38)), the lower data wins, so the answer never depends on rule order.
struct Decision {
  Action action;
  // The ABI that decided: the owner of the number, or for ENOSYS the ABI
  // whose threshold answered; null when the arch is not covered.
  const ArchPolicy* arch = nullptr;
  const Rule* rule = nullptr;  // the winning rule, null for default/ENOSYS/bad arch
  bool enosys = false;         // the ENOSYS answer for numbers above the threshold
};
Decision evaluate(const Policy& policy, const SeccompData& d);

// Under AUDIT_ARCH_X86_64, the ABI of the policy that owns number `nr` (the
// split evaluate describes: x32 for 0x40000000..0xfffffffe, x86_64 for the
// rest); null when that ABI is not in the policy (bad_arch_action answers).
const ArchPolicy* x86_64_number_owner(const Policy& policy, uint32_t nr);

// Under AUDIT_ARCH_X86_64, the ABI whose ENOSYS threshold (runc's stub)
// applies to `nr`: x32's for numbers with bit 30 set, x86_64's for the
// others, when that ABI has one; null otherwise. With both thresholds or
// neither this is the owner's threshold wherever it matters.
const ArchPolicy* enosys_owner_x86_64(const Policy& policy, uint32_t nr);

// Whether, under AUDIT_ARCH_X86_64, taking each number's ENOSYS threshold
// from the ABI that owns it answers every number as enosys_owner_x86_64
// does: with no threshold on either ABI, or with both below 0x80000000 and
// the same errno (runc's stubs for a profile that lists x86_64 and x32).
// Then the number space needs no cut at bit 30.
bool x86_64_thresholds_follow_owner(const Policy& policy);

// One condition against one argument value, with the width semantics above
// and the operator's meaning from operators.h.
bool condition_holds(const ArgCondition& c, uint64_t arg);

}  // namespace sysfence::policy
