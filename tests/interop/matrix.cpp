// Matrix: collects case outcomes, formats the table; run_matrix drives every selected case against a peer.
#include "tests/interop/matrix.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace ipsecd::test {
namespace {

std::string pad(const std::string& text, size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string seconds(double s) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f s", s);
  return buffer;
}

std::string result_text(const std::string& peer, const CaseOutcome& o) {
  switch (o.result) {
    case CaseOutcome::Result::pass:
      return "pass (" + seconds(o.seconds) + (o.reason.empty() ? "" : "; " + o.reason) + ")";
    case CaseOutcome::Result::fail: return "FAIL: " + first_line(o.reason) + " (" + seconds(o.seconds) + ")";
    case CaseOutcome::Result::not_applicable: return "n/a (" + peer + "): " + o.reason;
  }
  return "?";
}

// The comma-separated words of IPSECD_INTEROP_CASES; empty selects every case.
std::vector<std::string> selection() {
  std::vector<std::string> words;
  const char* env = std::getenv("IPSECD_INTEROP_CASES");
  std::istringstream in(env != nullptr ? env : "");
  for (std::string word; std::getline(in, word, ',');) {
    if (!word.empty()) words.push_back(word);
  }
  return words;
}

bool selected(const std::vector<std::string>& words, const InteropCase& c) {
  if (words.empty()) return true;
  for (const auto& word : words) {
    if (to_string(c).find(word) != std::string::npos) return true;
  }
  return false;
}

void print(const std::string& text) {
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace

void Matrix::add(const InteropCase& c, CaseOutcome outcome) { rows_.push_back({c, std::move(outcome)}); }

size_t Matrix::count(CaseOutcome::Result result) const {
  size_t n = 0;
  for (const auto& row : rows_) n += row.outcome.result == result ? 1 : 0;
  return n;
}

std::string Matrix::table() const {
  const size_t peer_width = std::max<size_t>(peer_.size(), 4);
  auto line = [&](const std::string& peer, const std::string& role, const std::string& auth,
                  const std::string& mode, const std::string& result) {
    return "MATRIX " + pad(peer, peer_width) + " | " + pad(role, 16) + " | " + pad(auth, 7) + " | " +
           pad(mode, 9) + " | " + result + "\n";
  };
  std::string t = line("peer", "role", "auth", "mode", "result");
  double total = 0;
  for (const auto& row : rows_) {
    t += line(peer_, to_string(row.c.role), to_string(row.c.auth), to_string(row.c.mode),
              result_text(peer_, row.outcome));
    total += row.outcome.seconds;
  }
  t += "MATRIX " + peer_ + ": " + std::to_string(count(CaseOutcome::Result::pass)) + " pass, " +
       std::to_string(count(CaseOutcome::Result::fail)) + " fail, " +
       std::to_string(count(CaseOutcome::Result::not_applicable)) + " n/a, " + seconds(total) + "\n";
  return t;
}

Matrix run_matrix(Peer& peer) {
  Matrix matrix(peer.name());
  const auto words = selection();
  for (const auto& c : all_cases()) {
    if (!selected(words, c)) continue;
    print("INTEROP " + peer.name() + " " + to_string(c) + ": running\n");
    CaseOutcome outcome = run_case(peer, c);
    const std::string verdict = outcome.result == CaseOutcome::Result::pass   ? "pass"
                                : outcome.result == CaseOutcome::Result::fail ? "FAIL"
                                                                              : "n/a";
    print("INTEROP " + peer.name() + " " + to_string(c) + ": " + verdict + " (" + seconds(outcome.seconds) +
          ")" + (outcome.reason.empty() ? "" : ": " + outcome.reason) + "\n");
    matrix.add(c, std::move(outcome));
  }
  if (!words.empty()) {
    print("MATRIX (only the cases IPSECD_INTEROP_CASES=" + std::string(std::getenv("IPSECD_INTEROP_CASES")) +
          " selects)\n");
  }
  print(matrix.table());
  return matrix;
}

void require_matrix_passes(Peer& peer) {
  const Matrix matrix = run_matrix(peer);
  CHECK(matrix.size() > 0);
  REQUIRE(matrix.count(CaseOutcome::Result::fail) == 0);
}

}  // namespace ipsecd::test
