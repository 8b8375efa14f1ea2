// Benchmarks of varsam::ident: Check() over Skatteverket's official test numbers and Scan()
// over a synthetic Swedish case-note text.
//
// The text recipe (SynthText below) is repeated byte for byte in
// scripts/bench-ident-vs-python.py, the peer comparison against Python's `re`; change both
// together. Every identity number in the text is one of Skatteverket's official test numbers
// (data/skatteverket-testpersonnummer.txt): no invented personnummer.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "varsam/core.h"
#include "varsam/ident.h"

namespace {

using varsam::Date;
namespace ident = varsam::ident;

// The reference date of every benchmark (and of the Python peer).
const Date kToday(2026, 11, 28);

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "bench_ident: %s\n", message.c_str());
  std::exit(1);
}

// The official test numbers, twelve digits each, read once.
const std::vector<std::string>& TwelveDigitNumbers() {
  static const std::vector<std::string> numbers = [] {
    const std::string path = varsam::Cat({VARSAM_DATA_DIR, "/skatteverket-testpersonnummer.txt"});
    std::ifstream in(path);
    if (!in) Die(varsam::Cat({"cannot read ", path}));
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) out.push_back(line);
    }
    if (out.empty()) Die(varsam::Cat({path, ": no numbers"}));
    for (const std::string& n : out) {
      if (!ident::Check(n, kToday).ok()) Die(varsam::Cat({path, ": a line is not a valid number"}));
    }
    return out;
  }();
  return numbers;
}

// The same numbers as YYMMDD-NNNN (or YYMMDD+NNNN from the year a person turns 100).
const std::vector<std::string>& TenDigitNumbers() {
  static const std::vector<std::string> numbers = [] {
    std::vector<std::string> out;
    for (const std::string& n : TwelveDigitNumbers()) {
      out.push_back(ident::TenDigitForm(ident::Check(n, kToday).number, kToday));
    }
    return out;
  }();
  return numbers;
}

// The twelve-digit numbers with the check digit changed: every one fails with kCheckDigit.
const std::vector<std::string>& BrokenNumbers() {
  static const std::vector<std::string> numbers = [] {
    std::vector<std::string> out;
    for (std::string n : TwelveDigitNumbers()) {
      n.back() = static_cast<char>('0' + (n.back() - '0' + 1) % 10);
      out.push_back(std::move(n));
    }
    return out;
  }();
  return numbers;
}

void CheckAll(benchmark::State& state, const std::vector<std::string>& numbers, bool expect_valid) {
  for (const std::string& n : numbers) {
    if (ident::Check(n, kToday).ok() != expect_valid) Die("unexpected Check() result");
  }
  size_t i = 0;
  for (auto _ : state) {
    ident::CheckResult result = ident::Check(numbers[i], kToday);
    benchmark::DoNotOptimize(result);
    if (++i == numbers.size()) i = 0;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_CheckTwelveDigit(benchmark::State& state) { CheckAll(state, TwelveDigitNumbers(), true); }
BENCHMARK(BM_CheckTwelveDigit);

void BM_CheckTenDigit(benchmark::State& state) { CheckAll(state, TenDigitNumbers(), true); }
BENCHMARK(BM_CheckTenDigit);

void BM_CheckInvalid(benchmark::State& state) { CheckAll(state, BrokenNumbers(), false); }
BENCHMARK(BM_CheckInvalid);

// ---- The synthetic text ------------------------------------------------------------------

// splitmix64 (Steele, Lea, Flood 2014): tiny, and easy to repeat exactly in Python.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
  }
  std::uint64_t Below(std::uint64_t n) { return Next() % n; }

 private:
  std::uint64_t state_;
};

constexpr std::uint64_t kSeed = 0x76617273616D2131u;  // "varsam!1"
constexpr size_t kTextBytes = size_t{4} << 20;        // 4 MiB
constexpr size_t kNumberEvery = 300;                  // bytes between identity numbers

// clang-format off
constexpr std::string_view kWords[] = {
    "och", "att", "det", "som", "på", "är", "för", "med", "har", "inte", "en", "av", "till",
    "om", "kan", "vid", "efter", "också", "där", "både", "när", "sin", "hos", "under",
    "klienten", "socialsekreterare", "besök", "hemmet", "uppföljning", "åtgärd", "ärende",
    "önskemål", "föräldrar", "barnet", "skolan", "överenskommelse", "utredning", "bistånd",
    "försörjningsstöd", "läkare", "vårdnadshavare", "möte", "träffades", "kontakt", "enligt",
    "beslut", "insats", "väntar", "återkommer", "närvarande", "hälsa", "år", "månad", "vecka",
    "kväll", "öppenvård", "följande", "bedömning", "behov", "stöd", "boende", "hyra", "skuld",
    "målsättning", "förälder", "syskon", "journal", "anteckning", "samtal", "telefon",
    "överförmyndare", "god", "man", "Malmö", "Göteborg", "Västerås", "Örebro", "Umeå",
    "Jönköping", "Linköping", "Norrköping", "Gävle", "Sundsvall", "Luleå", "Borås", "Växjö"};
// clang-format on
constexpr size_t kWordCount = sizeof kWords / sizeof kWords[0];

// Appends printf-style output (always short here) to `out`.
__attribute__((format(printf, 2, 3))) void AppendF(std::string& out, const char* format, ...) {
  char buffer[64];
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  if (n > 0) out.append(buffer, std::min(static_cast<size_t>(n), sizeof buffer - 1));
}

// One of the four forms, chosen by `form` (0..3): YYYYMMDDNNNN, YYYYMMDD-NNNN, YYMMDD-NNNN
// (`+` from the year the person turns 100), YYMMDD NNNN (`+` instead of the space for people
// of 100 or more, whom the space form would read as born a century later).
std::string NumberInForm(const std::string& twelve, std::uint64_t form) {
  const bool hundred = kToday.year() - std::atoi(twelve.substr(0, 4).c_str()) >= 100;
  switch (form) {
    case 0: return twelve;
    case 1:
      return varsam::Cat(
          {std::string_view(twelve).substr(0, 8), "-", std::string_view(twelve).substr(8)});
    case 2:
      return varsam::Cat({std::string_view(twelve).substr(2, 6), hundred ? "+" : "-",
                          std::string_view(twelve).substr(8)});
    default:
      return varsam::Cat({std::string_view(twelve).substr(2, 6), hundred ? "+" : " ",
                          std::string_view(twelve).substr(8)});
  }
}

struct SynthText {
  std::string text;
  size_t numbers = 0;  // identity numbers put in
};

// Tokens separated by " ", ", ", ". " or ".\n": words (with å ä ö), dates 2024-03-01, phone
// numbers 070-123 45 67, amounts "12345 kr", times "kl 14.30"; with `with_numbers`, an
// official test number as the next token once kNumberEvery bytes have passed since the last.
// None of the other tokens has a run of 6, 8, 10 or 12 digits, so the numbers put in are
// exactly the matches.
SynthText MakeText(bool with_numbers) {
  const std::vector<std::string>& numbers = TwelveDigitNumbers();
  Rng rng(kSeed);
  SynthText out;
  std::string& t = out.text;
  t.reserve(kTextBytes + 64);
  size_t last_number_end = 0;
  while (t.size() < kTextBytes) {
    if (with_numbers && t.size() - last_number_end >= kNumberEvery) {
      const std::string& n = numbers[rng.Below(numbers.size())];
      t += NumberInForm(n, rng.Below(4));
      last_number_end = t.size();
      ++out.numbers;
    } else {
      const auto kind = rng.Below(100);
      if (kind < 78) {
        t += kWords[rng.Below(kWordCount)];
      } else if (kind < 84) {
        const int year = 2015 + static_cast<int>(rng.Below(12));
        const int month = 1 + static_cast<int>(rng.Below(12));
        const int day = 1 + static_cast<int>(rng.Below(28));
        AppendF(t, "%04d-%02d-%02d", year, month, day);
      } else if (kind < 89) {
        const int a = static_cast<int>(rng.Below(10));
        const int b = static_cast<int>(rng.Below(1000));
        const int c = static_cast<int>(rng.Below(100));
        const int d = static_cast<int>(rng.Below(100));
        AppendF(t, "07%d-%03d %02d %02d", a, b, c, d);
      } else if (kind < 95) {
        AppendF(t, "%d kr", static_cast<int>(rng.Below(100000)));
      } else {
        const int h = static_cast<int>(rng.Below(24));
        const int m = static_cast<int>(rng.Below(60));
        AppendF(t, "kl %02d.%02d", h, m);
      }
    }
    const auto end = rng.Below(16);
    t += end == 0 ? ".\n" : end < 3 ? ". " : end == 3 ? ", " : " ";
  }
  return out;
}

const SynthText& TextWithNumbers() {
  static const SynthText text = MakeText(true);
  return text;
}

const SynthText& TextWithoutNumbers() {
  static const SynthText text = MakeText(false);
  return text;
}

void ScanText(benchmark::State& state, const SynthText& text) {
  size_t matches = 0;
  ident::Scan(text.text, kToday, [&matches](const ident::Match&) { ++matches; });
  if (matches != text.numbers) {
    Die(varsam::Cat({"Scan found ", std::to_string(matches), " numbers, the text has ",
                     std::to_string(text.numbers)}));
  }
  for (auto _ : state) {
    matches = 0;
    ident::Scan(text.text, kToday, [&matches](const ident::Match& m) {
      benchmark::DoNotOptimize(m);
      ++matches;
    });
    benchmark::DoNotOptimize(matches);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.text.size()));
  state.counters["matches"] = static_cast<double>(matches);
  state.counters["text_bytes"] = static_cast<double>(text.text.size());
}

void BM_ScanText(benchmark::State& state) { ScanText(state, TextWithNumbers()); }
BENCHMARK(BM_ScanText)->Unit(benchmark::kMillisecond);

void BM_ScanTextNoNumbers(benchmark::State& state) { ScanText(state, TextWithoutNumbers()); }
BENCHMARK(BM_ScanTextNoNumbers)->Unit(benchmark::kMillisecond);

}  // namespace
