// RuleList: one syscall's rules, the mapped type of RuleMap (policy.h), and
// RuleBlocks, the per-thread recycled storage of a list's single rule.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <new>
#include <utility>
#include <vector>

#include "policy/rule.h"

namespace sysfence::policy {

// Storage for single rules, recycled per thread: a policy holds about one
// rule per syscall number, and a process that resolves policy after policy
// (a benchmark, a service) would otherwise allocate and free each of them
// through malloc every time. At most kMaxKept blocks are kept.
// The thread's cache is plain data, constant-initialized: taking and giving
// a block reads it without the guard and the `gone` test of an object with
// a destructor (freeing Docker's default's policy: ~74 -> ~61 instructions
// a rule). What has to run at the thread's exit (freeing the blocks kept)
// belongs to a Cleaner, set up on the slow paths.
class RuleBlocks {
 public:
  [[gnu::always_inline]] static void* take() {
    Kept& kept = kept_;
    if (kept.count == 0) [[unlikely]]
      return take_new();
    void* const p = kept.blocks[--kept.count];
    // The kept blocks are cold (last touched when the previous policy was
    // freed) and scattered over the heap: start fetching the one handed out
    // a few takes from now, so that filling it does not wait for memory.
    if (kept.count >= kFetchAhead) fetch_for_writing(kept.blocks[kept.count - kFetchAhead]);
    return p;
  }
  [[gnu::always_inline]] static void give(void* p) {
    Kept& kept = kept_;
    if (kept.count < kept.room) [[likely]] {
      kept.blocks[kept.count++] = p;
      return;
    }
    give_slow(p);
  }

 private:
  static constexpr uint32_t kMaxKept = 1 << 12;  // 600 KB: a few resolutions' worth
  static constexpr uint32_t kFirstRoom = 1 << 6;
  static constexpr uint32_t kFetchAhead = 4;
  // Every cache line of a block (sizeof(Rule) bytes from `p`).
  static void fetch_for_writing(const void* p) {
    const char* const first = static_cast<const char*>(p);
    for (size_t offset = 0; offset < sizeof(Rule); offset += 64) __builtin_prefetch(first + offset, 1, 3);
    __builtin_prefetch(first + sizeof(Rule) - 1, 1, 3);
  }
  struct Kept {
    void** blocks = nullptr;  // room for `room`, the first `count` kept
    uint32_t count = 0;
    uint32_t room = 0;
    bool cleaner_set = false;
    // Set once the thread's blocks are freed: a rule that outlives them
    // (held by an object with static storage, destroyed after the thread's
    // thread_local ones) goes straight back to the heap.
    bool gone = false;
  };
  static thread_local Kept kept_;  // constant-initialized (below the class)
  // Frees the thread's kept blocks at its exit. Set up before the first
  // block is taken or kept, so destroyed after every thread_local that
  // holds a rule it made (and before those made earlier: `gone`).
  struct Cleaner {
    Cleaner() = default;
    Cleaner(const Cleaner&) = delete;
    Cleaner& operator=(const Cleaner&) = delete;
    ~Cleaner() {
      Kept& kept = kept_;
      for (uint32_t i = 0; i < kept.count; ++i) ::operator delete(kept.blocks[i]);
      ::operator delete(kept.blocks);
      kept.blocks = nullptr;
      kept.count = 0;
      kept.room = 0;
      kept.gone = true;
    }
  };
  static void set_cleaner() {
    thread_local Cleaner cleaner;
    kept_.cleaner_set = true;
  }
  [[gnu::noinline]] static void* take_new() {
    if (!kept_.cleaner_set && !kept_.gone) set_cleaner();
    return ::operator new(sizeof(Rule));
  }
  [[gnu::noinline]] static void give_slow(void* p) {
    Kept& kept = kept_;
    if (kept.gone || kept.room >= kMaxKept) {
      ::operator delete(p);
      return;
    }
    if (!kept.cleaner_set) set_cleaner();
    const uint32_t room = kept.room == 0 ? kFirstRoom : 2 * kept.room;
    void** const blocks = static_cast<void**>(::operator new(room * sizeof(void*)));
    for (uint32_t i = 0; i < kept.count; ++i) blocks[i] = kept.blocks[i];
    ::operator delete(kept.blocks);
    kept.blocks = blocks;
    kept.room = room;
    kept.blocks[kept.count++] = p;
  }
};

inline thread_local RuleBlocks::Kept RuleBlocks::kept_{};

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
  // Not drop_one(): no member is read after, so no null to store.
  ~RuleList() {
    if (one_ == nullptr) return;
    one_->~Rule();
    RuleBlocks::give(one_);
  }

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
    if (in_place_ && one_ == nullptr) [[likely]] {
      one_ = make_one(std::forward<Args>(args)...);
      return *one_;
    }
    return emplace_another(std::forward<Args>(args)...);
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
  // emplace_back past the first rule, out of line: the first is what a
  // resolution adds to a list, and inline in its loop.
  template <class... Args>
  [[gnu::noinline]] Rule& emplace_another(Args&&... args) {
    // Built first: `args` may refer to a rule of this list.
    Rule r(std::forward<Args>(args)...);
    to_heap(2);
    return many_.emplace_back(std::move(r));
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

}  // namespace sysfence::policy
