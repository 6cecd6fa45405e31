// Whole-file reads and writes and log tails for tests that write configurations and read daemons' output.
#pragma once

#include <cstddef>
#include <string>

namespace ipsecd::test {

// The file's whole content; empty when it cannot be read.
std::string read_file(const std::string& path);

// Replaces the file's content with `text`; false when it cannot be written.
bool write_file(const std::string& path, const std::string& text);

// The last `count` lines of `text` (all of it when it has fewer), for failure messages.
std::string last_lines(const std::string& text, size_t count);

}  // namespace ipsecd::test
