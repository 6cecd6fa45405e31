// Whole-file reads and writes and log tails for tests.
#include "tests/netns/text_files.h"

#include <fstream>
#include <sstream>

namespace ipsecd::test {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

std::string last_lines(const std::string& text, size_t count) {
  size_t pos = text.size();
  for (size_t lines = 0; pos > 0 && lines <= count;) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
    ++lines;
  }
  return text.substr(pos + 1);
}

}  // namespace ipsecd::test
