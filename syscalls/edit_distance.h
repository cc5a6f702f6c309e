// Edit distance for "did you mean" suggestions (architecture spellings,
// syscall names).
#pragma once

#include <cstddef>
#include <string_view>

namespace sysfence::syscalls {

// Levenshtein distance (insert, delete, substitute; each costs 1) with ASCII
// case ignored. Inputs longer than kMaxEditInput are cut to that length so the
// cost stays bounded (O(kMaxEditInput^2)) whatever the caller passes in.
inline constexpr size_t kMaxEditInput = 64;
size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace sysfence::syscalls
