// The interop matrix: every case's outcome against one peer, printed as a table (peer | role | auth | mode |
// result) with counts, each line prefixed "MATRIX " so run_interop.sh can pick it out of the VM's console.
#pragma once

#include "tests/interop/interop_case.h"
#include "tests/interop/peer.h"
#include "tests/interop/runner.h"

#include <string>
#include <vector>

namespace ipsecd::test {

class Matrix {
 public:
  explicit Matrix(std::string peer_name) : peer_(std::move(peer_name)) {}
  void add(const InteropCase& c, CaseOutcome outcome);
  size_t count(CaseOutcome::Result result) const;
  size_t size() const { return rows_.size(); }
  // The table, one "MATRIX " line per case, then one with the counts and the total time.
  std::string table() const;

 private:
  struct Row {
    InteropCase c;
    CaseOutcome outcome;
  };
  std::string peer_;
  std::vector<Row> rows_;
};

// Runs the cases of all_cases() against `peer` in order (all of them, or those whose name contains one of
// the comma-separated words of the environment variable IPSECD_INTEROP_CASES), printing each outcome as it
// ends (a failure with its full reason and logs) and the table at the end, on stdout.
Matrix run_matrix(Peer& peer);
// A peer's matrix TEST_CASE: run_matrix(peer) ran at least one case and none of them failed.
void require_matrix_passes(Peer& peer);

}  // namespace ipsecd::test
