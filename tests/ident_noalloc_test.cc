// "No heap allocation per check" (issue 2): Check, IsOfficialTestNumber and Scan are run over
// Skatteverket's official test numbers while the global operator new counts calls. Its own
// program, because it replaces operator new for the whole process. Prints the plain
// "N passed, N failed" line.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <new>
#include <string>
#include <vector>

#include "varsam/ident.h"

namespace {
long allocations = 0;
}

void* operator new(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

int main() {
  std::vector<std::string> numbers;
  std::ifstream in(VARSAM_DATA_DIR "/skatteverket-testpersonnummer.txt");
  for (std::string line; std::getline(in, line);) numbers.push_back(line);
  std::string text;
  for (size_t i = 0; i < numbers.size(); i += 10) {
    text += "Anteckning om " + numbers[i] + " och " + numbers[i].substr(2, 6) + "-" +
            numbers[i].substr(8) + ", tel 070-1234567.\n";
  }
  const varsam::Date today(2026, 11, 28);

  int passed = 0, failed = 0;
  const auto expect = [&](bool ok, const char* what) {
    ok ? ++passed : ++failed;
    std::printf("%s: %s\n", ok ? "ok  " : "FAIL", what);
  };

  long before = allocations;
  size_t valid = 0;
  for (const std::string& n : numbers) valid += varsam::ident::Check(n, today).ok();
  expect(allocations == before && valid == numbers.size(),
         "Check of 41,493 twelve-digit numbers allocates nothing");

  before = allocations;
  size_t listed = 0;
  for (const std::string& n : numbers) listed += varsam::ident::IsOfficialTestNumber(n);
  expect(allocations == before && listed == numbers.size(),
         "IsOfficialTestNumber allocates nothing");

  before = allocations;
  size_t found = 0;
  varsam::ident::Scan(text, today, [&](const varsam::ident::Match&) { ++found; });
  expect(allocations == before && found > 8000, "Scan of a note text allocates nothing");

  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
