// The varsam side of scripts/bench-models-vs-sklearn.py: reads a training matrix from CSV, fits
// L2 logistic regression on it, and prints the coefficients and the times as JSON.
//
//   bench_models_csv FILE.csv [--lambda L] [--folds K]
//
// The CSV is numeric: a header, then one row per episode; the column "label" (0/1) is the
// target, "group" (an integer) the pseudonym, every other column a design column named
// "feature=level" (one-hot). Timed, each with the wall clock and the process's CPU clock:
//   read  reading the file and building the TrainingSet (column-major design, labels, groups)
//   fit   one fit with lambda L on every row, as scikit-learn's LogisticRegression.fit does:
//         collapsing the design into weighted distinct rows, Newton, the standard errors
//   cv    with --folds K: models::Fit as a host calls it (K-fold cross-validation by group,
//         the final fit, the out-of-fold evaluation)
// The matrix is built once; "fit" and "cv" start from it in memory.

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "csv_support.h"
#include "internal.h"  // src/models: CollapseRows, FitLogistic
#include "varsam/core.h"
#include "varsam/models.h"

namespace {

using varsam::models::TrainingSet;

using varsam_bench::Clock;

// Parses one field at p (before `end`) and steps past it and its separator, which it returns
// (',' or '\n'; 0 at the end of the text, -1 when the field is not a number). The fast path is a
// single digit; anything else goes to std::from_chars.
int ParseField(const char*& p, const char* end, double& value) {
  if (end - p >= 2 && static_cast<unsigned>(p[0] - '0') < 10 &&
      (p[1] == ',' || p[1] == '\n' || p[1] == '\r')) {
    value = p[0] - '0';
    ++p;
  } else {
    const auto [next, error] = std::from_chars(p, end, value);
    if (error != std::errc()) return -1;
    p = next;
  }
  if (p < end && *p == '\r') ++p;
  if (p == end) return 0;
  if (*p != ',' && *p != '\n') return -1;
  return *p++;
}

absl::StatusOr<TrainingSet> ReadTrainingCsv(const std::string& path) {
  VARSAM_ASSIGN_OR_RETURN(const varsam_bench::MappedFile file,
                          varsam_bench::MappedFile::Open(path));
  const char* p = file.begin();
  const char* end = file.end();
  const char* header_end = std::find(p, end, '\n');
  std::vector<std::string> names;
  for (const char* field = p; field <= header_end;) {
    const char* stop = std::find(field, header_end, ',');
    std::string name(field, stop);
    if (!name.empty() && name.back() == '\r') name.pop_back();
    names.push_back(std::move(name));
    field = stop + 1;
  }
  const auto label_at = std::find(names.begin(), names.end(), "label");
  const auto group_at = std::find(names.begin(), names.end(), "group");
  if (label_at == names.end() || group_at == names.end()) {
    return varsam_bench::BadLine(1, "needs the columns label and group");
  }
  const auto label_column = static_cast<std::size_t>(label_at - names.begin());
  const auto group_column = static_cast<std::size_t>(group_at - names.begin());
  p = header_end == end ? end : header_end + 1;
  std::size_t rows = static_cast<std::size_t>(std::count(p, end, '\n'));
  if (end > p && end[-1] != '\n') ++rows;

  TrainingSet set;
  set.rows = rows;
  // Design columns: every other column, grouped into features by the name before '='.
  std::vector<std::size_t> design_index(names.size(), 0);
  for (std::size_t c = 0; c < names.size(); ++c) {
    if (c == label_column || c == group_column) continue;
    design_index[c] = set.column_names.size();
    set.column_names.push_back(names[c]);
    const std::size_t eq = names[c].find('=');
    const std::string feature = names[c].substr(0, eq);
    if (set.features.empty() || set.features.back().name != feature) {
      set.features.push_back(
          {feature, varsam::models::FeatureKind::kAgeBand, {"(reference)"}, {}, {}});
    }
    set.features.back().levels.push_back(eq == std::string::npos ? "" : names[c].substr(eq + 1));
  }
  const std::size_t columns = set.column_names.size();
  set.design.assign(rows * columns, 0.0);
  set.labels.resize(rows);
  set.groups.resize(rows);
  std::int32_t max_group = -1;
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < names.size(); ++c) {
      double value = 0;
      const int separator = p < end ? ParseField(p, end, value) : -1;
      if (separator < 0) return varsam_bench::BadLine(r + 2, "not a number");
      if ((separator == ',') != (c + 1 < names.size()))
        return varsam_bench::BadLine(r + 2, "not one value a column");
      if (c == label_column) {
        set.labels[r] = value;
      } else if (c == group_column) {
        set.groups[r] = static_cast<std::int32_t>(value);
        max_group = std::max(max_group, set.groups[r]);
      } else {
        set.design[design_index[c] * rows + r] = value;
      }
    }
  }
  set.pseudonyms = static_cast<std::size_t>(max_group) + 1;
  set.raw.resize(rows);  // Fit checks the size only; explanations are not benchmarked here
  return set;
}

void PrintTimes(const char* name, const Clock& t) {
  std::printf("\"%s_seconds\": %.6f, \"%s_cpu_seconds\": %.6f, ", name, t.wall, name, t.cpu);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: bench_models_csv FILE.csv [--lambda L] [--folds K]\n");
    return 2;
  }
  const std::string path = argv[1];
  double lambda = 1;
  int folds = 0;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--lambda") == 0) {
      lambda = std::strtod(argv[i + 1], nullptr);
    } else if (std::strcmp(argv[i], "--folds") == 0) {
      folds = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "bench_models_csv: unknown option\n");
      return 2;
    }
  }

  const Clock start = Clock::Now();
  auto read = ReadTrainingCsv(path);
  const Clock read_time = Clock::Now() - start;
  if (!read.ok()) {
    std::fprintf(stderr, "bench_models_csv: %s\n", std::string(read.status().message()).c_str());
    return 1;
  }
  const TrainingSet& set = *read;

  // One fit on every row, from the design in memory to the coefficients and standard errors.
  const Clock fit_start = Clock::Now();
  const varsam::models::Patterns patterns =
      varsam::models::CollapseRows(set.design, set.rows, set.column_names.size(), true, {});
  std::vector<double> count(patterns.size(), 0.0);
  std::vector<double> positives(patterns.size(), 0.0);
  for (std::size_t r = 0; r < set.rows; ++r) {
    const auto k = static_cast<std::size_t>(patterns.of_row[r]);
    count[k] += 1;
    positives[k] += set.labels[r];
  }
  const auto fit = varsam::models::FitLogistic(patterns, count, positives, lambda, true);
  const Clock fit_time = Clock::Now() - fit_start;
  if (!fit.ok()) {
    std::fprintf(stderr, "bench_models_csv: %s\n", std::string(fit.status().message()).c_str());
    return 1;
  }

  std::printf("{\"rows\": %zu, \"columns\": %zu, \"patterns\": %zu, \"iterations\": %d, ", set.rows,
              set.column_names.size(), patterns.size(), fit->iterations);
  PrintTimes("read", read_time);
  PrintTimes("fit", fit_time);
  if (folds >= 2) {
    varsam::models::ModelSpec spec;
    spec.lambdas = {lambda};
    spec.folds = folds;
    const Clock cv_start = Clock::Now();
    const auto cv = varsam::models::Fit(spec, set);
    const Clock cv_time = Clock::Now() - cv_start;
    if (!cv.ok()) {
      std::fprintf(stderr, "bench_models_csv: %s\n", std::string(cv.status().message()).c_str());
      return 1;
    }
    PrintTimes("cv", cv_time);
    std::printf("\"cv_oof_auc\": %.17g, ", cv->evaluation.auc);
  }
  std::printf("\"names\": [\"(intercept)\"");
  for (const std::string& name : set.column_names) std::printf(", \"%s\"", name.c_str());
  std::printf("], \"coefficients\": [");
  for (Eigen::Index j = 0; j < fit->beta.size(); ++j) {
    std::printf("%s%.17g", j == 0 ? "" : ", ", fit->beta(j));
  }
  std::printf("]}\n");
  return 0;
}
