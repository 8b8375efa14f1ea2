// The varsam side of scripts/bench-etr-vs-lme4.py: makes the ORS series of a synthetic register
// and writes them as CSV (--export), or reads such a CSV and fits the curve model of
// varsam/outcomes.h on it by REML (--fit), printing counts, times and estimates as JSON.
//
//   bench_outcomes_csv --export FILE.csv [--clients N] [--seed S] [--predictors LIST]
//   bench_outcomes_csv --fit FILE.csv [--rounds R]
//
// --export: the synthetic population (varsam/synth.h, default options but for clients and
// seed) goes through engine::Engine::SubmitToRegister into a fresh SQLite store in a temporary
// directory, the way a host's cases reach the register (guarded, audited, pseudonymised,
// generalised); the register's ORS rows are read back (Store::ForEachRegisterMeasurement),
// made into series (outcomes::BuildSeries) and written in the long form
//   series,session,log_session,total,intake
// one row per measurement after the intake, every number at full precision (%.17g), so that a
// peer reads the very doubles varsam fits. Timed per stage, wall clock. With --predictors
// (intervention, age_band or both, comma-separated) the series are those outcomes::DesignEtr
// fits with them (k = 5), linked to the register's insats episodes, and each of its covariates
// is one more column p1, p2, ... (0 or 1); the JSON printed names them ("predictors") and lists
// each predictor's levels, the reference first ("levels").
//
// --fit: timed, each with the wall clock and the process's CPU clock:
//   read  reading the file into an outcomes::SeriesSet
//   fit   outcomes::FitMixed on it, R times (the median and every round are printed), with
//         the columns after intake as predictors
// log_session is written for the peer; the fit computes log(session) itself, as FitMixed does
// from the register's rows.

#include <stdlib.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "csv_support.h"
#include "register_fixtures.h"
#include "varsam/access.h"
#include "varsam/core.h"
#include "varsam/engine.h"
#include "varsam/outcomes.h"
#include "varsam/store.h"
#include "varsam/submission.h"
#include "varsam/synth.h"

namespace {

namespace access = varsam::access;
namespace engine = varsam::engine;
namespace outcomes = varsam::outcomes;
namespace store = varsam::store;
namespace synth = varsam::synth;

constexpr std::string_view kInstrument = "ors";

using varsam_bench::Clock;

int Fail(std::string_view what, const absl::Status& status) {
  std::fprintf(stderr, "bench_outcomes_csv: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
               std::string(status.message()).c_str());
  return 1;
}

// ---- --export ---------------------------------------------------------------------------------

// Every case of every client as the host submits it (synth::RegisterCases), by case kind,
// without the reports and assessments that led to no investigation (rule reports-stay-out: the
// engine would refuse them).
class Collect : public synth::Sink {
 public:
  absl::Status Add(const synth::ClientRecord& record) override {
    for (varsam::submission::RegisterCase& c : synth::RegisterCases(record)) {
      const access::CaseInfo& info = *c.case_info;
      if (!info.led_to_investigation) continue;
      for (engine::RegisterSubmission& e : c.episodes) {
        // Pseudonymised by the host's client id, not the identity number: the synthetic
        // clients share the 33,668 official test numbers of people up to 100 (docs/synth.md,
        // "Clients"), so a pseudonym of the number would make three synthetic people one
        // register person, whose ORS series would then run into each other.
        e.personnummer.clear();
        // Of the measurements only the ORS: the curves read no other instrument, and the rest
        // would only add SQLite writes to the export's time.
        std::erase_if(e.measurements,
                      [](const store::Measurement& m) { return m.instrument != kInstrument; });
        by_kind[info.kind].push_back(std::move(e));
      }
    }
    return absl::OkStatus();
  }
  std::map<access::CaseKind, std::vector<engine::RegisterSubmission>> by_kind;
};

// A fresh directory under the temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "varsam-etr-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  bool ok() const { return !path_.empty(); }
  std::string Store() const { return (std::filesystem::path(path_) / "store").string(); }

 private:
  std::string path_;
};

int Export(const std::string& path, std::size_t clients, std::uint64_t seed,
           const std::vector<std::string>& predictors) {
  using Steady = std::chrono::steady_clock;
  const auto seconds = [](Steady::time_point since) {
    return std::chrono::duration<double>(Steady::now() - since).count();
  };

  auto started = Steady::now();
  synth::Options options;
  options.seed = seed;
  options.clients = clients;
  auto generator = synth::Generator::Create(options);
  if (!generator.ok()) return Fail("synth", generator.status());
  Collect collect;
  if (auto run = (*generator)->Run(collect, 1); !run.ok()) return Fail("synth", run.status());
  const double seconds_generate = seconds(started);

  TempDir dir;
  if (!dir.ok()) return Fail("export", absl::UnavailableError("no temporary directory"));
  started = Steady::now();
  std::size_t submitted = 0;
  {
    auto register_engine = varsam_test::OpenRegisterEngine(dir.Store());
    if (!register_engine.ok()) return Fail("engine", register_engine.status());
    for (const auto& [kind, episodes] : collect.by_kind) {
      constexpr std::size_t kBatch = 20000;
      for (std::size_t first = 0; first < episodes.size(); first += kBatch) {
        const std::size_t n = std::min(kBatch, episodes.size() - first);
        const absl::Status status = (*register_engine)
                                        ->SubmitToRegister(varsam_test::FollowUp(kind),
                                                           std::span(episodes).subspan(first, n));
        if (!status.ok()) return Fail("submit", status);
        submitted += n;
      }
    }
  }
  collect.by_kind.clear();
  const double seconds_submit = seconds(started);

  started = Steady::now();
  std::vector<store::RegisterMeasurementRow> rows;
  std::vector<store::EpisodeRow> episodes;
  {
    auto opened = store::Store::Open(dir.Store());
    if (!opened.ok()) return Fail("store", opened.status());
    const absl::Status read = (*opened)->ForEachRegisterMeasurement(
        kInstrument, [&](const store::RegisterMeasurementRow& row) {
          rows.push_back(row);
          return true;
        });
    if (!read.ok()) return Fail("store", read);
    if (!predictors.empty()) {
      store::EpisodeFilter insats;
      insats.case_kind = "insats";
      const absl::Status read_episodes =
          (*opened)->ForEachEpisode(insats, [&](const store::EpisodeRow& row) {
            episodes.push_back(row);
            return true;
          });
      if (!read_episodes.ok()) return Fail("store", read_episodes);
    }
  }
  const double seconds_read = seconds(started);

  started = Steady::now();
  const outcomes::SeriesSet all = outcomes::BuildSeries(rows);
  outcomes::EtrDesign design;
  if (!predictors.empty()) {
    outcomes::EtrSpec spec;
    spec.predictors = predictors;
    design = outcomes::DesignEtr(spec, all, episodes);
  }
  const outcomes::SeriesSet& set = predictors.empty() ? all : design.series;
  const std::size_t extra = design.predictors.names.size();
  const double seconds_series = seconds(started);

  started = Steady::now();
  std::FILE* out = std::fopen(path.c_str(), "w");
  if (out == nullptr) return Fail("export", absl::UnavailableError("cannot write the CSV file"));
  std::fputs("series,session,log_session,total,intake", out);
  for (std::size_t j = 0; j < extra; ++j) std::fprintf(out, ",p%zu", j + 1);
  std::fputs("\n", out);
  for (const outcomes::SeriesRow& r : set.rows) {
    std::fprintf(out, "%d,%d,%.17g,%.17g,%.17g", r.series, r.session,
                 std::log(static_cast<double>(r.session)), r.total, r.intake);
    for (std::size_t j = 0; j < extra; ++j) {
      std::fprintf(out, ",%g",
                   design.predictors.values[static_cast<std::size_t>(r.series) * extra + j]);
    }
    std::fputs("\n", out);
  }
  if (std::fclose(out) != 0) {
    return Fail("export", absl::UnavailableError("cannot write the CSV file"));
  }
  const double seconds_write = seconds(started);

  std::printf("{\"predictors\": [");
  for (std::size_t j = 0; j < extra; ++j) {
    std::printf("%s\"%s\"", j == 0 ? "" : ", ", design.predictors.names[j].c_str());
  }
  std::printf("], \"levels\": {");
  for (std::size_t k = 0; k < design.levels.size(); ++k) {
    std::printf("%s\"%s\": [", k == 0 ? "" : ", ", design.levels[k].predictor.c_str());
    for (std::size_t l = 0; l < design.levels[k].levels.size(); ++l) {
      std::printf("%s\"%s\"", l == 0 ? "" : ", ", design.levels[k].levels[l].level.c_str());
    }
    std::printf("]");
  }
  std::printf("}, \"predictors_left_out\": %lld, ", static_cast<long long>(design.left_out));
  std::printf(
      "\"clients\": %zu, \"seed\": %llu, \"episodes_submitted\": %zu, "
      "\"register_rows\": %zu, \"rows\": %zu, \"series\": %d, \"pseudonyms\": %lld, "
      "\"left_out\": %lld, \"period_from\": \"%s\", \"period_to\": \"%s\", "
      "\"generate_seconds\": %.6f, \"submit_seconds\": %.6f, \"read_seconds\": %.6f, "
      "\"series_seconds\": %.6f, \"write_seconds\": %.6f}\n",
      clients, static_cast<unsigned long long>(seed), submitted, rows.size(), set.rows.size(),
      set.series, static_cast<long long>(set.pseudonyms), static_cast<long long>(set.left_out),
      set.period_from.c_str(), set.period_to.c_str(), seconds_generate, seconds_submit,
      seconds_read, seconds_series, seconds_write);
  return 0;
}

// ---- --fit ------------------------------------------------------------------------------------

// The long CSV of --export into a SeriesSet: rows grouped by series, series numbered from 0; the
// columns after intake (p1, p2, ...) into `predictors`, per series.
absl::StatusOr<outcomes::SeriesSet> ReadSeriesCsv(const std::string& path,
                                                  outcomes::SeriesPredictors& predictors) {
  VARSAM_ASSIGN_OR_RETURN(const varsam_bench::MappedFile file,
                          varsam_bench::MappedFile::Open(path));
  const char* p = file.begin();
  const char* end = file.end();
  constexpr std::string_view kHeader = "series,session,log_session,total,intake";
  const char* header_end = std::find(p, end, '\n');
  const std::string_view header(p, static_cast<std::size_t>(header_end - p));
  if (header_end == end || !header.starts_with(kHeader)) {
    return varsam_bench::BadLine(1, "needs the header series,session,log_session,total,intake");
  }
  for (std::size_t at = kHeader.size(); at < header.size();) {
    const std::size_t next = std::min(header.find(',', at + 1), header.size());
    predictors.names.emplace_back(header.substr(at + 1, next - at - 1));
    at = next;
  }
  const std::size_t extra = predictors.names.size();
  p = header_end + 1;

  outcomes::SeriesSet set;
  set.rows.reserve(static_cast<std::size_t>(std::count(p, end, '\n')));
  std::size_t line = 1;
  while (p < end) {
    ++line;
    std::int32_t series = 0;
    int session = 0;
    double log_session = 0, total = 0, intake = 0;
    const auto field = [&](auto& value, char separator) {
      const auto [next, error] = std::from_chars(p, end, value);
      if (error != std::errc() || next == end || *next != separator) return false;
      p = next + 1;
      return true;
    };
    std::vector<double> values(extra);
    bool read = field(series, ',') && field(session, ',') && field(log_session, ',') &&
                field(total, ',') && field(intake, extra == 0 ? '\n' : ',');
    for (std::size_t j = 0; read && j < extra; ++j) {
      read = field(values[j], j + 1 == extra ? '\n' : ',');
    }
    if (!read) return varsam_bench::BadLine(line, "not a number in each column");
    if (series < 0 || series < set.series - 1 || series > set.series) {
      return varsam_bench::BadLine(line, "series not numbered 0, 1, ... in order");
    }
    if (series == set.series) {
      predictors.values.insert(predictors.values.end(), values.begin(), values.end());
      set.intakes.push_back(intake);
      set.person.push_back(series);
      ++set.series;
    }
    set.rows.push_back({series, session, total, intake});
  }
  set.pseudonyms = set.series;
  return set;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

void PrintArray(const char* name, const double* values, std::size_t n, const char* format) {
  std::printf("\"%s\": [", name);
  for (std::size_t i = 0; i < n; ++i) {
    std::printf(i == 0 ? "" : ", ");
    std::printf(format, values[i]);
  }
  std::printf("], ");
}

int FitRounds(const std::string& path, int rounds) {
  const Clock start = Clock::Now();
  outcomes::SeriesPredictors predictors;
  auto read = ReadSeriesCsv(path, predictors);
  const Clock read_time = Clock::Now() - start;
  if (!read.ok()) return Fail("read", read.status());
  const outcomes::SeriesSet& set = *read;

  std::vector<double> wall, cpu;
  absl::StatusOr<outcomes::MixedFit> fit;
  for (int r = 0; r < rounds; ++r) {
    const Clock fit_start = Clock::Now();
    fit = outcomes::FitMixed(set, predictors);
    const Clock fit_time = Clock::Now() - fit_start;
    if (!fit.ok()) return Fail("fit", fit.status());
    wall.push_back(fit_time.wall);
    cpu.push_back(fit_time.cpu);
  }
  const outcomes::MixedFit& f = *fit;
  std::printf("{\"rows\": %zu, \"series\": %d, \"rounds\": %d, ", set.rows.size(), set.series,
              rounds);
  std::printf("\"read_seconds\": %.6f, \"read_cpu_seconds\": %.6f, ", read_time.wall,
              read_time.cpu);
  std::printf("\"fit_seconds\": %.6f, \"fit_cpu_seconds\": %.6f, ", Median(wall), Median(cpu));
  PrintArray("fit_rounds_seconds", wall.data(), wall.size(), "%.6f");
  PrintArray("fit_rounds_cpu_seconds", cpu.data(), cpu.size(), "%.6f");
  std::printf("\"terms\": [");
  for (std::size_t j = 0; j < f.terms.size(); ++j) {
    std::printf("%s\"%s\"", j == 0 ? "" : ", ", f.terms[j].c_str());
  }
  std::printf("], ");
  PrintArray("beta", f.beta.data(), f.beta.size(), "%.17g");
  PrintArray("beta_se", f.beta_se.data(), f.beta_se.size(), "%.17g");
  std::printf(
      "\"sigma2\": %.17g, \"var_intercept\": %.17g, \"var_slope\": %.17g, "
      "\"cov_intercept_slope\": %.17g, \"reml_criterion\": %.17g, \"evaluations\": %d, "
      "\"observations\": %lld, \"groups\": %d}\n",
      f.sigma2, f.var_intercept, f.var_slope, f.cov_intercept_slope, f.reml_criterion,
      f.evaluations, static_cast<long long>(f.observations), f.groups);
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: bench_outcomes_csv --export FILE.csv [--clients N] [--seed S] "
               "[--predictors LIST]\n"
               "       bench_outcomes_csv --fit FILE.csv [--rounds R]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode, path;
  std::size_t clients = 100000;
  std::uint64_t seed = 20261204;
  int rounds = 1;
  std::vector<std::string> predictors;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view option = argv[i];
    const char* value = argv[i + 1];
    if (option == "--export" || option == "--fit") {
      mode = option.substr(2);
      path = value;
    } else if (option == "--clients") {
      clients = static_cast<std::size_t>(std::strtoull(value, nullptr, 10));
    } else if (option == "--seed") {
      seed = std::strtoull(value, nullptr, 10);
    } else if (option == "--rounds") {
      rounds = std::atoi(value);
    } else if (option == "--predictors") {
      // Comma-separated names of outcomes::kEtrPredictors.
      for (std::string_view list = value; !list.empty();) {
        const std::size_t comma = std::min(list.find(','), list.size());
        predictors.emplace_back(list.substr(0, comma));
        list.remove_prefix(std::min(comma + 1, list.size()));
      }
      // ParseEtrSpec checks the names and puts them in the model's order.
      std::string json = R"({"instrument":"ors","predictors":[)";
      for (std::size_t k = 0; k < predictors.size(); ++k) {
        json += (k == 0 ? "\"" : ",\"") + predictors[k] + "\"";
      }
      const auto spec = outcomes::ParseEtrSpec(json + "]}");
      if (!spec.ok()) return Fail("--predictors", spec.status());
      predictors = spec->predictors;
    } else {
      return Usage();
    }
  }
  if (argc % 2 == 0 || mode.empty() || rounds < 1 || clients < 1) return Usage();
  return mode == "export" ? Export(path, clients, seed, predictors) : FitRounds(path, rounds);
}
