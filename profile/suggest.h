// "did you mean ...?" for misspelled names in profiles and flags.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sysfence::profile {

// Edit distance (Levenshtein plus adjacent transpositions), ASCII
// case-insensitive.
size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `word` when it is close enough to be a plausible
// typo (distance <= max(1, len/3)); nullopt otherwise.
std::optional<std::string_view> nearest(std::string_view word, std::span<const std::string_view> candidates);

// " (did you mean \"X\"?)" or "".
std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace sysfence::profile
