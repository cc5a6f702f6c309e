// The Policy IR: what a resolved profile means, per architecture — the single
// specification that the compiler, the verifier and `explain` all read.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/seccomp.h"
#include "syscalls/arch.h"

namespace sysfence::policy {

// The comparison operators; what each means is defined once, in operators.h.
enum class CmpOp : uint8_t { kNe, kLt, kLe, kEq, kGe, kGt, kMaskedEq };

// How an argument is compared.
//  k64: the literal 64-bit comparison libseccomp and Docker make.
//  k32: the kernel reads the argument as a 32-bit value, so only the low word
//       is compared: (u32)arg op (u32)value, and for MASKED_EQ
//       ((u32)arg & (u32)mask) == ((u32)datum & (u32)mask). Constants that do not fit in 32
//       bits (neither zero- nor sign-extended) are reported as warnings by the
//       resolver.
enum class ArgWidth : uint8_t { k64, k32 };

struct ArgCondition {
  uint8_t index = 0;  // 0..5
  CmpOp op = CmpOp::kEq;
  uint64_t value = 0;  // the operand; the mask for MASKED_EQ
  // The datum for MASKED_EQ, unused otherwise. Kept as written: only its bits
  // inside the mask are compared (operators.h, masked_datum).
  uint64_t value_two = 0;
  ArgWidth width = ArgWidth::k64;

  friend bool operator==(const ArgCondition&, const ArgCondition&) = default;
};

// Where a rule came from, so tools can say "profile.json:123".
struct SourceRef {
  std::string file;     // as the user named it ("default" for the built-in)
  uint32_t line = 0;    // 1-based line of the syscalls[] entry; 0 unknown
  uint32_t entry = 0;   // index in syscalls[]
  std::string comment;  // the entry's "comment", if any
  // Set when runc's rule of splitting an entry that repeats an argument index
  // into one rule per condition produced this rule.
  bool split_repeated_index = false;
  uint32_t col = 0;  // 1-based column of the entry's opening brace; 0 unknown
  // Set on a rule the entry's rule on a socket or SysV IPC call produced on
  // that call's multiplexer (socketcall(2) / ipc(2); profile/multiplex.h):
  // the direct call's name ("socket"). Empty for every other rule.
  std::string multiplexed_for;

  friend bool operator==(const SourceRef&, const SourceRef&) = default;
};

// One rule: `action` when every condition holds (a conjunction; empty = always).
struct Rule {
  Action action;
  std::vector<ArgCondition> conditions;
  SourceRef source;

  friend bool operator==(const Rule&, const Rule&) = default;
};

// Storage for single rules, recycled per thread: a policy holds about one
// rule per syscall number, and a process that resolves policy after policy
// (a benchmark, a service) would otherwise allocate and free each of them
// through malloc every time. At most kMaxKept blocks are kept.
class RuleBlocks {
 public:
  static void* take() {
    if (gone_) return ::operator new(sizeof(Rule));
    std::vector<void*>& kept = free_blocks();
    if (kept.empty()) return ::operator new(sizeof(Rule));
    void* p = kept.back();
    kept.pop_back();
    // The kept blocks are cold (last touched when the previous policy was
    // freed) and scattered over the heap: start fetching the one handed out
    // a few takes from now, so that filling it does not wait for memory.
    if (kept.size() >= kFetchAhead) fetch_for_writing(kept[kept.size() - kFetchAhead]);
    return p;
  }
  static void give(void* p) {
    if (gone_) {
      ::operator delete(p);
      return;
    }
    std::vector<void*>& kept = free_blocks();
    if (kept.size() < kMaxKept) {
      kept.push_back(p);
      return;
    }
    ::operator delete(p);
  }

 private:
  static constexpr size_t kMaxKept = 1 << 12;  // 600 KB: a few resolutions' worth
  static constexpr size_t kFetchAhead = 4;
  // Every cache line of a block (sizeof(Rule) bytes from `p`).
  static void fetch_for_writing(const void* p) {
    const char* const first = static_cast<const char*>(p);
    for (size_t offset = 0; offset < sizeof(Rule); offset += 64) __builtin_prefetch(first + offset, 1, 3);
    __builtin_prefetch(first + sizeof(Rule) - 1, 1, 3);
  }
  struct Blocks {
    std::vector<void*> free;
    Blocks() = default;
    Blocks(const Blocks&) = delete;
    Blocks& operator=(const Blocks&) = delete;
    ~Blocks() {
      for (void* p : free) ::operator delete(p);
      gone_ = true;
    }
  };
  // Set once the thread's blocks are destroyed: a rule that outlives them
  // (held by an object with static storage, destroyed after the thread's
  // thread_local ones) goes straight back to the heap.
  static inline thread_local bool gone_ = false;
  static std::vector<void*>& free_blocks() {
    thread_local Blocks blocks;
    return blocks.free;
  }
};

// One syscall's rules, ORed: a vector's interface over contiguous storage.
// Most syscall numbers of a policy have one rule (Docker's default: about
// 1,000 numbers, 1,200 rules); a list holds that one in a recycled block
// (RuleBlocks), so a map of them allocates nothing per number in the steady
// state. A second rule moves the rules to a vector.
class RuleList {
 public:
  using value_type = Rule;
  using size_type = size_t;
  using difference_type = std::ptrdiff_t;
  using reference = Rule&;
  using const_reference = const Rule&;
  using pointer = Rule*;
  using const_pointer = const Rule*;
  using iterator = Rule*;
  using const_iterator = const Rule*;

  RuleList() = default;
  RuleList(std::initializer_list<Rule> rules) : RuleList(std::vector<Rule>(rules)) {}
  // Takes the vector's storage (or its one rule).
  RuleList(std::vector<Rule> rules) {  // NOLINT(google-explicit-constructor): a drop-in for the vector it replaces
    if (rules.size() == 1) {
      emplace_back(std::move(rules.front()));
    } else if (!rules.empty()) {
      many_ = std::move(rules);
      in_place_ = false;
    }
  }
  template <class It>
  RuleList(It first, It last) : RuleList(std::vector<Rule>(first, last)) {}
  RuleList(const RuleList& other) : many_(other.many_), in_place_(other.in_place_) {
    if (other.one_ != nullptr) one_ = make_one(*other.one_);
  }
  RuleList(RuleList&& other) noexcept
      : one_(std::exchange(other.one_, nullptr)), many_(std::move(other.many_)), in_place_(other.in_place_) {
    other.many_.clear();
    other.in_place_ = true;
  }
  RuleList& operator=(const RuleList& other) {
    if (this != &other) *this = RuleList(other);
    return *this;
  }
  RuleList& operator=(RuleList&& other) noexcept {
    std::swap(one_, other.one_);
    many_.swap(other.many_);
    std::swap(in_place_, other.in_place_);
    return *this;
  }
  ~RuleList() { drop_one(); }

  Rule* data() { return in_place_ ? one_ : many_.data(); }
  const Rule* data() const { return in_place_ ? one_ : many_.data(); }
  size_t size() const { return in_place_ ? (one_ != nullptr ? 1 : 0) : many_.size(); }
  bool empty() const { return size() == 0; }
  iterator begin() { return data(); }
  iterator end() { return data() + size(); }
  const_iterator begin() const { return data(); }
  const_iterator end() const { return data() + size(); }
  const_iterator cbegin() const { return begin(); }
  const_iterator cend() const { return end(); }
  Rule& operator[](size_t i) { return data()[i]; }
  const Rule& operator[](size_t i) const { return data()[i]; }
  Rule& front() { return data()[0]; }
  const Rule& front() const { return data()[0]; }
  Rule& back() { return data()[size() - 1]; }
  const Rule& back() const { return data()[size() - 1]; }

  void reserve(size_t n) {
    if (n > 1) to_heap(n);
  }
  template <class... Args>
  Rule& emplace_back(Args&&... args) {
    if (in_place_ && one_ == nullptr) {
      one_ = make_one(std::forward<Args>(args)...);
      return *one_;
    }
    // Built first: `args` may refer to a rule of this list.
    Rule r(std::forward<Args>(args)...);
    to_heap(2);
    return many_.emplace_back(std::move(r));
  }
  void push_back(const Rule& r) { emplace_back(r); }
  void push_back(Rule&& r) { emplace_back(std::move(r)); }
  void clear() {
    drop_one();
    many_.clear();
    in_place_ = true;
  }
  iterator erase(const_iterator first, const_iterator last) {
    const auto from = first - data();
    const auto to = last - data();
    to_heap(0);
    const auto it = many_.erase(many_.begin() + from, many_.begin() + to);
    return many_.data() + (it - many_.begin());
  }
  iterator erase(const_iterator pos) { return erase(pos, pos + 1); }

  explicit operator std::vector<Rule>() const { return std::vector<Rule>(begin(), end()); }

  friend bool operator==(const RuleList& a, const RuleList& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  friend bool operator==(const RuleList& a, const std::vector<Rule>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  template <class... Args>
  static Rule* make_one(Args&&... args) {
    void* block = RuleBlocks::take();
    try {
      // Default-initialized when given nothing (every member of a Rule has
      // its initializer): value-initialization would zero the block first.
      if constexpr (sizeof...(Args) == 0) return new (block) Rule;
      else return new (block) Rule(std::forward<Args>(args)...);
    } catch (...) {
      RuleBlocks::give(block);
      throw;
    }
  }
  void drop_one() {
    if (one_ == nullptr) return;
    one_->~Rule();
    RuleBlocks::give(one_);
    one_ = nullptr;
  }
  // Moves the rules to `many_`, with room for `n`.
  void to_heap(size_t n) {
    if (in_place_) {
      many_.reserve(std::max<size_t>(n, 1));
      if (one_ != nullptr) many_.push_back(std::move(*one_));
      drop_one();
      in_place_ = false;
    } else {
      many_.reserve(n);
    }
  }

  Rule* one_ = nullptr;  // the list's one rule while in_place_ (nullptr: none)
  std::vector<Rule> many_;
  bool in_place_ = true;
};

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
// nr > enosys_above; else the default action.
//
// "Most restrictive" is the kernel's precedence between filters
// (base/seccomp.h, restrictiveness_rank / more_restrictive):
//   KILL_PROCESS > KILL_THREAD > TRAP > ERRNO > USER_NOTIF > TRACE > LOG > ALLOW
// and, between two rules of the same kind with different data (ERRNO(1) vs
// ERRNO(38)), the lower data wins, so the answer never depends on rule order.
struct Decision {
  Action action;
  const ArchPolicy* arch = nullptr;  // null when the arch is not covered
  const Rule* rule = nullptr;        // the winning rule, null for default/ENOSYS/bad arch
};
Decision evaluate(const Policy& policy, const SeccompData& d);

// One condition against one argument value, with the width semantics above
// and the operator's meaning from operators.h.
bool condition_holds(const ArgCondition& c, uint64_t arg);

}  // namespace sysfence::policy
