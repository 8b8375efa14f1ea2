// The insights side of scripts/bench-insights-vs-pandas.py: a protected three-dimension table
// with margins from register columns in memory.
//
//   bench_insights_csv --generate N --csv FILE [--seed S]
//       writes N synthetic register episodes as CSV, one person's episodes on adjacent lines:
//         person,age_band,sex,region,intervention,record_key
//   bench_insights_csv --csv FILE [--rounds R] [--counts OUT]
//       reads FILE into insights::Columns (dictionary-coded, as BuildColumns makes them), then
//       per round times Aggregate alone (unprotected) and Aggregate + Protect (threshold 5,
//       secondary suppression proven by linear programming, cell key D=2 V=1 js=1) of
//       age_band x region x intervention with margins; prints one JSON line with the medians
//       (aggregate_s, protect_s: Protect alone, protected_table_s: the two together).
//       --counts writes the unprotected episode counts, one line per cell:
//         age_band,region,intervention,count   ("*" for a margin; "" is a value)
//
// The columns are filled straight from the file rather than through store::EpisodeRow (ten
// million rows of strings would measure the allocator): what is timed is the same for both
// sides, the grouping of columns already in memory.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "csv_support.h"
#include "varsam/insights.h"
#include "varsam/store.h"

namespace {

using namespace varsam;
using varsam_bench::Clock;

constexpr std::string_view kAgeBands[] = {"0-5",   "6-12",  "13-17", "18-24", "25-34",
                                          "35-44", "45-54", "55-64", "65-79", "80+"};

int Generate(long n, const std::string& path, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::ofstream out(path);
  out << "person,age_band,sex,region,intervention,record_key\n";
  // Weighted picks: a few common values and a long tail, as a real register has.
  std::discrete_distribution<int> age({2, 3, 4, 12, 18, 16, 14, 12, 12, 7});
  std::discrete_distribution<int> region(
      {22, 5, 4, 5, 4, 2, 3, 1, 2, 3, 5, 17, 4, 3, 3, 3, 3, 2, 3, 3, 3, 1});
  std::discrete_distribution<int> intervention({9, 3, 25, 12, 6, 8, 2, 4, 15, 8, 6, 2});
  std::uniform_int_distribution<int> episodes_of(1, 2);
  long person = 0, written = 0;
  std::string line;
  while (written < n) {
    const int k = std::min<long>(episodes_of(rng), n - written);
    const int a = age(rng);
    const char* sex = (rng() % 20 == 0) ? "" : (rng() % 2 == 0 ? "female" : "male");
    for (int e = 0; e < k; ++e, ++written) {
      const int r = region(rng);
      const int i = intervention(rng);
      line.clear();
      line += std::to_string(person);
      line += ',';
      line += kAgeBands[a];
      line += ',';
      line += sex;
      line += ',';
      line += r == 21 ? std::string() : std::string(store::kCountyCodes[r]);
      line += ',';
      line += i == 11 ? std::string() : std::string(store::kDefaultInterventions[i]);
      line += ',';
      line += std::to_string(rng() | 1);
      line += '\n';
      out << line;
    }
    ++person;
  }
  return out.good() ? 0 : 1;
}

absl::StatusOr<insights::Columns> Read(const std::string& path) {
  VARSAM_ASSIGN_OR_RETURN(auto file, varsam_bench::MappedFile::Open(path));
  insights::Columns c;
  std::vector<absl::flat_hash_map<std::string, std::uint32_t>> index(insights::kDimensionCount);
  const auto code = [&](insights::Dimension d, std::string_view value) {
    const auto k = static_cast<std::size_t>(d);
    const auto [it, added] = index[k].try_emplace(
        std::string(value), static_cast<std::uint32_t>(c.dictionary[k].size()));
    if (added) c.dictionary[k].emplace_back(value);
    c.codes[k].push_back(it->second);
  };
  std::string_view text(file.begin(), static_cast<std::size_t>(file.end() - file.begin()));
  std::size_t line_no = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line_no++ == 0) continue;
    std::vector<std::string_view> f;
    for (std::size_t from = 0;;) {
      const std::size_t comma = line.find(',', from);
      f.push_back(line.substr(from, comma == std::string_view::npos ? comma : comma - from));
      if (comma == std::string_view::npos) break;
      from = comma + 1;
    }
    std::uint32_t person = 0;
    std::uint64_t key = 0;
    const auto number = [](std::string_view field, auto* out) {
      const auto [stop, error] = std::from_chars(field.data(), field.data() + field.size(), *out);
      return error == std::errc() && stop == field.data() + field.size();
    };
    if (f.size() != 6 || !number(f[0], &person) || !number(f[5], &key)) {
      return varsam_bench::BadLine(line_no, "want person,age_band,sex,region,intervention,key");
    }
    code(insights::Dimension::kAgeBand, f[1]);
    code(insights::Dimension::kSex, f[2]);
    code(insights::Dimension::kRegion, f[3]);
    code(insights::Dimension::kIntervention, f[4]);
    for (const auto d : {insights::Dimension::kCaseKind, insights::Dimension::kStartPeriod,
                         insights::Dimension::kEndPeriod, insights::Dimension::kOutcome,
                         insights::Dimension::kBand}) {
      code(d, d == insights::Dimension::kCaseKind ? "insats" : "");
    }
    c.person.push_back(person);
    c.record_key.push_back(key);
  }
  const std::size_t n = c.person.size();
  c.duration_months.assign(n, NAN);
  c.last_total.assign(n, NAN);
  c.intake_total.assign(n, NAN);
  return c;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Run(const std::string& path, int rounds, const std::string& counts_path) {
  const Clock start = Clock::Now();
  auto columns = Read(path);
  if (!columns.ok()) {
    std::cerr << columns.status() << "\n";
    return 1;
  }
  const Clock read = Clock::Now() - start;
  insights::Query query;
  query.measure.kind = insights::MeasureKind::kEpisodes;
  query.dimensions = {insights::Dimension::kAgeBand, insights::Dimension::kRegion,
                      insights::Dimension::kIntervention};
  query.margins = true;
  query.protection.cell_key = insights::CellKeyParams{2, 1, 1};
  std::vector<double> aggregate, protect, protect_only;
  std::int64_t protected_cells = 0, complementary = 0, cells = 0;
  for (int r = 0; r < rounds; ++r) {
    const Clock t0 = Clock::Now();
    auto table = insights::Aggregate(query, *columns);
    const Clock t1 = Clock::Now();
    if (!table.ok()) {
      std::cerr << table.status() << "\n";
      return 1;
    }
    if (r == 0 && !counts_path.empty()) {
      std::ofstream out(counts_path);
      for (const insights::Cell& cell : table->cells) {
        for (std::size_t k = 0; k < 3; ++k) {
          out << (cell.levels[k] == insights::kMargin ? std::string("*")
                                                      : table->levels[k][cell.levels[k]])
              << ',';
        }
        out << cell.episodes << '\n';
      }
    }
    const absl::Status done = insights::Protect(*table, insights::CryptoBits());
    const Clock t2 = Clock::Now();
    if (!done.ok()) {
      std::cerr << done << "\n";
      return 1;
    }
    aggregate.push_back((t1 - t0).wall);
    protect.push_back((t2 - t0).wall);
    protect_only.push_back((t2 - t1).wall);
    cells = static_cast<std::int64_t>(table->cells.size());
    protected_cells = 0;
    complementary = 0;
    for (const insights::Cell& cell : table->cells) {
      protected_cells += cell.status == insights::CellStatus::kProtected ? 1 : 0;
      complementary += cell.reason == insights::ProtectionReason::kSecondary ? 1 : 0;
    }
  }
  std::printf(
      "{\"episodes\": %zu, \"read_s\": %.3f, \"cells\": %lld, \"protected\": %lld, "
      "\"secondary\": %lld, \"aggregate_s\": %.4f, \"protect_s\": %.4f, "
      "\"protected_table_s\": %.4f}\n",
      columns->size(), read.wall, static_cast<long long>(cells),
      static_cast<long long>(protected_cells), static_cast<long long>(complementary),
      Median(aggregate), Median(protect_only), Median(protect));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string csv, counts;
  long generate = 0;
  int rounds = 3;
  std::uint64_t seed = 20261205;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--csv") {
      csv = value;
    } else if (flag == "--generate") {
      generate = std::stol(value);
    } else if (flag == "--rounds") {
      rounds = std::stoi(value);
    } else if (flag == "--counts") {
      counts = value;
    } else if (flag == "--seed") {
      seed = std::stoull(value);
    } else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  if (csv.empty() || rounds < 1) {
    std::cerr << "usage: bench_insights_csv [--generate N] --csv FILE [--rounds R] [--counts F]\n";
    return 2;
  }
  return generate > 0 ? Generate(generate, csv, seed) : Run(csv, rounds, counts);
}
