// "did you mean" suggestions for every misspelled name sysfence reports:
// syscall names, architecture spellings, and the profile's operators,
// actions, errno names, capabilities and keys. One distance for all of them.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sysfence::syscalls {

// Optimal string alignment distance: Levenshtein (insert, delete, substitute;
// each costs 1) plus the transposition of two adjacent characters ("EPREM" is
// one edit from "EPERM"), ASCII case ignored. Inputs longer than
// kMaxEditInput are cut to that length so the cost stays bounded
// (O(kMaxEditInput^2)) whatever the caller passes in.
inline constexpr size_t kMaxEditInput = 64;
size_t edit_distance(std::string_view a, std::string_view b);

// The largest distance at which a candidate still reads as a typo of `word`:
// a third of its length, rounded up (at least 1), so that "open" still finds
// "openat". Farther candidates are different words, and suggesting them
// ("zzzzzzzzzzzzzz" -> "_sysctl") only misleads.
size_t typo_distance(std::string_view word);

// The candidate nearest to `word` within typo_distance(word) (of equally
// near ones, the one with the longest common prefix, then the first);
// nullopt when none is that near, or when `word` is longer than
// kMaxEditInput (typos are short).
std::optional<std::string_view> nearest(std::string_view word, std::span<const std::string_view> candidates);

// " (did you mean \"X\"?)" or "".
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace sysfence::syscalls
