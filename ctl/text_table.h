// Plain-text tables with aligned columns for ipsecctl's human output.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ipsecd::ctl {

class TextTable {
 public:
  enum class Align { left, right };
  struct Column {
    std::string title;
    Align align = Align::left;
  };

  explicit TextTable(std::vector<Column> columns);
  // Missing cells are empty; extra cells are ignored.
  void add_row(std::vector<std::string> cells);
  std::size_t rows() const { return rows_.size(); }
  // The title line, then one line per row; columns two spaces apart, no trailing blanks.
  std::string render() const;

 private:
  std::vector<Column> columns_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace ipsecd::ctl
