// Output files never damage what they replace. A regular file (or a new one)
// is written atomically: a temporary file beside it is filled, flushed, given
// the old file's mode and owner (a new file gets 0666 & ~umask) and renamed
// over it, so an error leaves neither a partial file nor the temporary. A
// symlink is followed to the file it names (the link stays a link); anything
// else that is not a regular file — /dev/null, a terminal, a FIFO — is
// written through, never replaced by a file.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/expected.h"

namespace sysfence::cli {

// Remembers a command-line value that may name a file the command reads
// (parse_args calls it for every positional and non-output value):
// write_output refuses to replace such a file with its output, and a file
// the user may not write (a read-only file in a writable directory, which
// rename() would replace).
void note_argument_path(std::string_view value);

// Writes `bytes` to `path` as above; "-" writes to stdout.
Expected<void> write_output(const std::string& path, std::span<const uint8_t> bytes);
Expected<void> write_output(const std::string& path, std::string_view text);

// Before a command does work it cannot repeat (record runs CMD, dump reads
// a process): the error write_output / write_directory would give for
// `path` now — a missing or unwritable directory, a directory in the way,
// an input, a file the user may not write — so that it comes first.
// Writing may still fail later (a full disk).
Expected<void> check_output_file(const std::string& path);
Expected<void> check_output_directory(const std::string& dir);

// One file of a directory written by write_directory: a plain name, no '/'.
struct DirectoryEntry {
  std::string name;
  std::string bytes;
};

// Writes a new directory `dir` holding exactly `files`, atomically: they are
// written into a temporary directory beside it, which is then renamed to
// `dir`; an error leaves neither. `dir` may exist only as an empty directory.
// Error: "out: exists and is not empty".
Expected<void> write_directory(const std::string& dir, std::span<const DirectoryEntry> files);

// Reads a whole file ("-" = stdin) with an upper bound on its size; the error
// names the file ("profile.json: file is larger than 16 MiB").
Expected<std::string> read_input(const std::string& path, size_t max_bytes);

}  // namespace sysfence::cli
