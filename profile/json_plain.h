// The one-pass scanner behind JsonDoc::parse for plain JSON (internal to
// //profile:json_doc).
#pragma once

#include <string_view>

#include "profile/json_doc.h"

namespace sysfence::profile {

// Fills `doc` (empty) with the tape and line index that Boost.JSON's path
// would produce (the same values; the pool is laid out differently), when `text` is a JSON document within the
// limits made only of
//   * whitespace (space, tab, CR, LF), objects, arrays, true, false, null,
//   * strings of the bytes 0x20..0x7E without a backslash,
//   * integers 0 or [1-9][0-9]* with at most 19 digits (they fit 64 bits).
// Returns false for anything else (another kind of value, or text that is
// not valid JSON); `doc` is then unspecified and the caller parses with Boost.
// Linear time; never recurses.
bool scan_plain_json(std::string_view text, const JsonLimits& limits, JsonDoc& doc);

}  // namespace sysfence::profile
