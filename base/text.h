// Showing untrusted text (profile values, file names, command-line words)
// inside one-line messages. Every error sysfence prints is one line naming
// the file and position; a value quoted as-is could break that line (an
// escaped "\n" in a JSON string), forge a second "sysfence: ..." line, or
// make the message as long as a 50 MB input.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace sysfence {

// `s` between double quotes, with '"' and '\\' escaped and every control
// byte (< 0x20, 0x7f) written as \n, \t, \r or \xNN, as are the bytes of
// invalid UTF-8 and of the C1 controls (U+0080..U+009F); other UTF-8 is
// kept. Longer than `max_bytes`: the first max_bytes bytes (less a
// character the cut would split), then `..." (N bytes)`.
std::string quote(std::string_view s, size_t max_bytes = 80);

// `s` with every control byte escaped as quote() does ('"' and '\\' left
// alone): a message that is guaranteed to print as a single line.
std::string one_line(std::string_view s);
// one_line(s) appended to `out`: for a caller building many lines into one
// buffer.
void append_one_line(std::string& out, std::string_view s);

// `s` with every control byte but '\n' escaped: for messages that are
// deliberately several lines (a list of --strict findings, one per line)
// and must still never carry a terminal escape or a carriage return.
std::string printable(std::string_view s);

}  // namespace sysfence
