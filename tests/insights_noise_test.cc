// Tests of the insights component's noise (varsam/insights.h, "The cell key method" and
// "Differential privacy"; docs/insights.md).
//
// The p-table is checked against what a maximum-entropy table must satisfy, computed here
// independently of src/insights/cell_key.cc: the support rules, the moments, the variance each
// row must reach (from a bisection of the mean-only maximum written here), optimality (no
// feasible direction in the null space of the constraints raises the entropy), an independent
// solve of the symmetric row, and figures published in the ptable vignette. The discrete Laplace
// sampler is checked against its probability mass function, mean and variance over 200,000
// seeded draws. Differential privacy on a mean (docs/insights.md, "Means: bounded sums") is checked
// against sums computed here from the rows, against neighbouring registers one person apart, and
// against the variance of the discrete Laplace at the scale its sensitivity argument gives.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "varsam/insights.h"
#include "varsam/store.h"

namespace {

using varsam::insights::Aggregate;
using varsam::insights::BuildColumns;
using varsam::insights::Cell;
using varsam::insights::CellKeyParams;
using varsam::insights::CellStatus;
using varsam::insights::Columns;
using varsam::insights::CryptoBits;
using varsam::insights::Dimension;
using varsam::insights::DpParams;
using varsam::insights::kMargin;
using varsam::insights::MeasureKind;
using varsam::insights::ParseQuery;
using varsam::insights::Protect;
using varsam::insights::ProtectionReason;
using varsam::insights::PTable;
using varsam::insights::PTableRow;
using varsam::insights::Quantity;
using varsam::insights::Query;
using varsam::insights::QueryJson;
using varsam::insights::RandomBits;
using varsam::insights::SampleDiscreteLaplace;
using varsam::insights::Table;
using varsam::insights::TableJson;

// splitmix64 (Steele, Lea & Flood 2014): a seeded, deterministic source of 64-bit words.
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t Next() {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
};

RandomBits SeededBits(std::uint64_t seed) {
  auto generator = std::make_shared<SplitMix64>(SplitMix64{seed});
  return [generator]() -> absl::StatusOr<std::uint64_t> { return generator->Next(); };
}

PTable MustBuild(const CellKeyParams& params) {
  auto table = PTable::Build(params);
  REQUIRE(table.ok());
  return *std::move(table);
}

// Parameter sets covering js = 0, blocked counts, small and large variances.
const std::vector<CellKeyParams>& ParameterSets() {
  static const std::vector<CellKeyParams> sets = {
      {1, 0.5, 0},  {1, 2.0 / 3, 0}, {2, 1, 0},        {2, 1, 1},     {2, 1.08, 1},
      {2, 0.1, 0},  {2, 2, 0},       {2, 2, 1},        {3, 1.5, 2},   {3, 0.5, 2},
      {4, 1, 0},    {5, 3, 2},       {5, 0.3, 4},      {8, 10, 3},    {20, 40, 5},
      {3, 0.01, 0}, {10, 0.05, 9},   {2, 1 + 1e-7, 1}, {2, 1.999, 0}, {60, 1200, 20},
  };
  return sets;
}

std::int64_t LastOriginal(const CellKeyParams& p) {
  return p.max_deviation + p.js + (p.js > 0 ? 1 : 0);
}

struct RowMoments {
  double sum = 0, mean = 0, second = 0;
};

RowMoments MomentsOf(const PTableRow& row) {
  RowMoments m;
  for (std::size_t k = 0; k < row.perturbation.size(); ++k) {
    const auto v = static_cast<double>(row.perturbation[k]);
    m.sum += row.probability[k];
    m.mean += row.probability[k] * v;
    m.second += row.probability[k] * v * v;
  }
  return m;
}

// The allowed perturbations of a count, from the rule itself.
std::vector<std::int64_t> AllowedPerturbations(std::int64_t i, const CellKeyParams& p) {
  std::vector<std::int64_t> allowed;
  if (i == 0) return {0};
  for (std::int64_t v = -p.max_deviation; v <= p.max_deviation; ++v) {
    if (i + v < 0 || (i + v >= 1 && i + v <= p.js)) continue;
    allowed.push_back(v);
  }
  return allowed;
}

// E[v^2] of the maximum-entropy distribution with mean 0 alone on `support` (p ∝ exp(l v)):
// plain bisection on l, whose mean increases with l.
double MeanOnlySecondMoment(const std::vector<std::int64_t>& support) {
  const auto moments = [&](double l) {
    double z = 0, m1 = 0, m2 = 0, top = -1e300;
    for (const std::int64_t v : support) top = std::max(top, l * static_cast<double>(v));
    for (const std::int64_t s : support) {
      const auto v = static_cast<double>(s);
      const double w = std::exp(l * v - top);
      z += w;
      m1 += w * v;
      m2 += w * v * v;
    }
    return std::pair<double, double>(m1 / z, m2 / z);
  };
  double lo = -60, hi = 60;
  for (int k = 0; k < 200; ++k) {
    const double mid = 0.5 * (lo + hi);
    (moments(mid).first > 0 ? hi : lo) = mid;
  }
  return moments(0.5 * (lo + hi)).second;
}

double Entropy(const std::vector<double>& p) {
  double h = 0;
  for (const double x : p) {
    if (x > 0) h -= x * std::log(x);
  }
  return h;
}

// ---- The p-table -----------------------------------------------------------------------------

TEST_CASE("p-table rows are distributions over the allowed perturbations", "[insights]") {
  for (const CellKeyParams& params : ParameterSets()) {
    CAPTURE(params.max_deviation, params.variance, params.js);
    const PTable table = MustBuild(params);
    const auto last = LastOriginal(params);
    REQUIRE(table.rows().size() == static_cast<std::size_t>(last + 1));
    for (std::int64_t i = 0; i <= last; ++i) {
      const PTableRow& row = table.rows()[static_cast<std::size_t>(i)];
      CAPTURE(i);
      REQUIRE(row.original == i);
      REQUIRE(row.perturbation.size() == row.probability.size());
      REQUIRE(!row.perturbation.empty());
      CHECK(std::abs(MomentsOf(row).sum - 1) <= 1e-12);
      const auto allowed = AllowedPerturbations(i, params);
      for (std::size_t k = 0; k < row.perturbation.size(); ++k) {
        const std::int64_t v = row.perturbation[k];
        if (k > 0) CHECK(row.perturbation[k - 1] < v);
        CHECK(std::abs(v) <= params.max_deviation);
        CHECK(i + v >= 0);
        CHECK_FALSE((i + v >= 1 && i + v <= params.js));
        CHECK(std::find(allowed.begin(), allowed.end(), v) != allowed.end());
        CHECK(row.probability[k] > 0);
        CHECK(row.probability[k] <= 1);
      }
    }
    // Row 0 never perturbs; the last row has the whole of [-D, D] and is symmetric.
    CHECK(table.rows()[0].perturbation == std::vector<std::int64_t>{0});
    CHECK(table.rows()[0].probability == std::vector<double>{1.0});
    const PTableRow& top = table.rows().back();
    REQUIRE(top.perturbation.size() == static_cast<std::size_t>(2 * params.max_deviation + 1));
    for (std::size_t k = 0; k < top.perturbation.size(); ++k) {
      CHECK(top.perturbation[k] == static_cast<std::int64_t>(k) - params.max_deviation);
      CHECK(std::abs(top.probability[k] - top.probability[top.probability.size() - 1 - k]) <=
            1e-12);
    }
    // And it is the first row with the whole range: the one before lacks some perturbation.
    CHECK(AllowedPerturbations(last - 1, params).size() < top.perturbation.size());
  }
}

TEST_CASE("p-table rows have mean 0 and variance V, or the nearest variance feasible",
          "[insights]") {
  for (const CellKeyParams& params : ParameterSets()) {
    CAPTURE(params.max_deviation, params.variance, params.js);
    const PTable table = MustBuild(params);
    for (std::size_t i = 1; i < table.rows().size(); ++i) {
      CAPTURE(i);
      const auto allowed = AllowedPerturbations(static_cast<std::int64_t>(i), params);
      const RowMoments m = MomentsOf(table.rows()[i]);
      CHECK(std::abs(m.mean) <= 1e-9);
      // What the row must reach, derived here: without 0 in the support (blocked counts) the
      // variance is at least a * b (nearest allowed perturbations -a and +b); the variance
      // constraint is slack when the mean-only maximum already has less than V.
      double expected = std::min(params.variance, MeanOnlySecondMoment(allowed));
      if (std::find(allowed.begin(), allowed.end(), 0) == allowed.end()) {
        std::int64_t a = 0, b = 0;
        for (const std::int64_t v : allowed) {
          if (v < 0) a = -v;
          if (v > 0 && b == 0) b = v;
        }
        const auto floor = static_cast<double>(a * b);
        if (params.variance <= floor) expected = floor;
      }
      CHECK(std::abs(m.second - expected) <= 1e-9 * std::max(1.0, expected));
    }
    // Every count from the last row on has exactly V.
    CHECK(std::abs(MomentsOf(table.rows().back()).second - params.variance) <= 1e-9);
  }
}

TEST_CASE("p-table rows have the largest entropy their constraints allow", "[insights]") {
  SplitMix64 rng{42};
  const auto uniform = [&] { return static_cast<double>(rng.Next() >> 11) * 0x1p-53 - 0.5; };
  for (const CellKeyParams& params : ParameterSets()) {
    CAPTURE(params.max_deviation, params.variance, params.js);
    const PTable table = MustBuild(params);
    for (std::size_t i = 1; i < table.rows().size(); ++i) {
      CAPTURE(i);
      const PTableRow& row = table.rows()[i];
      const RowMoments m = MomentsOf(row);
      const bool variance_binds = std::abs(m.second - params.variance) <= 1e-9;
      // The directions move only the probabilities of 1e-4 or more, so that a step keeping every
      // probability positive changes the entropy by far more than rounding.
      std::vector<std::int64_t> values;
      std::vector<double> probability;
      for (std::size_t k = 0; k < row.perturbation.size(); ++k) {
        if (row.probability[k] < 1e-4) continue;
        values.push_back(row.perturbation[k]);
        probability.push_back(row.probability[k]);
      }
      const std::size_t n = values.size();
      if (n <= (variance_binds ? 3u : 2u)) continue;  // the constraints leave no freedom
      // An orthonormal basis of the constraints' rows (1, v, v^2) by Gram-Schmidt.
      std::vector<std::vector<double>> basis;
      for (int power = 0; power <= 2; ++power) {
        std::vector<double> a(n);
        for (std::size_t k = 0; k < n; ++k) a[k] = std::pow(static_cast<double>(values[k]), power);
        for (const auto& q : basis) {
          double dot = 0;
          for (std::size_t k = 0; k < n; ++k) dot += a[k] * q[k];
          for (std::size_t k = 0; k < n; ++k) a[k] -= dot * q[k];
        }
        double norm = 0;
        for (const double x : a) norm += x * x;
        norm = std::sqrt(norm);
        for (double& x : a) x /= norm;
        basis.push_back(a);
      }
      for (int trial = 0; trial < 40; ++trial) {
        // A random direction keeping the sum and the mean, and the variance when it binds.
        std::vector<double> d(n);
        for (double& x : d) x = uniform();
        for (std::size_t b = 0; b < (variance_binds ? 3u : 2u); ++b) {
          double dot = 0;
          for (std::size_t k = 0; k < n; ++k) dot += d[k] * basis[b][k];
          for (std::size_t k = 0; k < n; ++k) d[k] -= dot * basis[b][k];
        }
        double dv = 0;  // the change of the variance along d
        for (std::size_t k = 0; k < n; ++k) {
          const auto v = static_cast<double>(values[k]);
          dv += d[k] * v * v;
        }
        double step = 1e-3;
        for (std::size_t k = 0; k < n; ++k) {
          if (d[k] != 0) step = std::min(step, 0.5 * probability[k] / std::abs(d[k]));
        }
        for (const double t : {step, -step}) {
          // When the variance is slack, either way is feasible; when it binds only the
          // variance-keeping directions were drawn.
          if (!variance_binds && m.second + t * dv > params.variance) continue;
          std::vector<double> q(n);
          for (std::size_t k = 0; k < n; ++k) q[k] = probability[k] + t * d[k];
          CHECK(Entropy(q) < Entropy(probability));
        }
      }
    }
  }
}

TEST_CASE("the symmetric p-table row agrees with an independent solve", "[insights]") {
  // With mean 0 by symmetry, the last row is p_v ∝ q^(v^2), q in (0, 1) fixed by the variance;
  // its variance increases with q, so a bisection finds it.
  for (const CellKeyParams& params :
       {CellKeyParams{2, 1, 0}, CellKeyParams{3, 2, 1}, CellKeyParams{5, 3, 2}}) {
    CAPTURE(params.max_deviation, params.variance, params.js);
    const PTable table = MustBuild(params);
    const int d = params.max_deviation;
    const auto row_for = [&](double q) {
      std::vector<double> p;
      double z = 0;
      for (int v = -d; v <= d; ++v) {
        p.push_back(std::pow(q, v * v));
        z += p.back();
      }
      for (double& x : p) x /= z;
      return p;
    };
    double lo = 0, hi = 1;
    for (int k = 0; k < 200; ++k) {
      const double mid = 0.5 * (lo + hi);
      const auto p = row_for(mid);
      double var = 0;
      for (std::size_t i = 0; i < p.size(); ++i) {
        const double v = static_cast<double>(i) - d;
        var += p[i] * v * v;
      }
      (var > params.variance ? hi : lo) = mid;
    }
    const auto expected = row_for(0.5 * (lo + hi));
    const PTableRow& top = table.rows().back();
    REQUIRE(top.probability.size() == expected.size());
    for (std::size_t k = 0; k < expected.size(); ++k) {
      CHECK(std::abs(top.probability[k] - expected[k]) <= 1e-12);
    }
  }
}

TEST_CASE("the p-table reproduces the ptable vignette's published row", "[insights]") {
  // The ptable vignette ("Introduction to the ptable-Package", T. Enderle, Destatis; ptable
  // 0.3.3), perturbation panel for create_cnt_ptable(D = 2, V = 1.08, js = 1): "An original
  // frequency count i=1 changes with probability 0.5133 to j = 0 ... With a probability of 0.46
  // the original i = 1 becomes j = 2 ... with a probability of 0.0267 the original i = 1 becomes
  // j = 3".
  const PTable table = MustBuild({2, 1.08, 1});
  const PTableRow& row = table.rows()[1];
  REQUIRE(row.perturbation == std::vector<std::int64_t>{-1, 1, 2});
  CHECK(std::abs(row.probability[0] - 0.5133) <= 5e-5);
  CHECK(std::abs(row.probability[1] - 0.46) <= 5e-5);
  CHECK(std::abs(row.probability[2] - 0.0267) <= 5e-5);
}

TEST_CASE("a blocked count whose V is below the two-point variance gets the two-point row",
          "[insights]") {
  // D = 2, js = 1: the count 1 can only go to 0 (-1) or above 1 (+1, +2); mean 0 forces a
  // variance of at least 1 * 1. With V = 1 that is the limit {-1: 1/2, +1: 1/2}.
  const PTable table = MustBuild({2, 1, 1});
  const PTableRow& row = table.rows()[1];
  REQUIRE(row.perturbation == std::vector<std::int64_t>{-1, 1});
  CHECK(row.probability[0] == Approx(0.5).margin(1e-15));
  CHECK(row.probability[1] == Approx(0.5).margin(1e-15));
  // D = 5, js = 4, V = 0.3: the count 2 goes to 0 (-2) or 5 (+3) at the least: variance 6.
  const PTable wide = MustBuild({5, 0.3, 4});
  const PTableRow& two = wide.rows()[2];
  REQUIRE(two.perturbation == std::vector<std::int64_t>{-2, 3});
  CHECK(two.probability[0] == Approx(0.6).margin(1e-15));
  CHECK(MomentsOf(two).second == Approx(6).margin(1e-12));
}

TEST_CASE("p-table parameters out of range are refused naming the parameter", "[insights]") {
  const auto refused = [](const CellKeyParams& params, const std::string& field) {
    const auto table = PTable::Build(params);
    REQUIRE_FALSE(table.ok());
    CHECK(table.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(table.status().message()).rfind(field + ":", 0) == 0);
  };
  refused({0, 1, 0}, "cell_key.D");
  refused({-3, 1, 0}, "cell_key.D");
  refused({101, 1, 0}, "cell_key.D");
  refused({2, 0, 0}, "cell_key.V");
  refused({2, -1, 0}, "cell_key.V");
  refused({2, std::numeric_limits<double>::quiet_NaN(), 0}, "cell_key.V");
  refused({2, std::numeric_limits<double>::infinity(), 0}, "cell_key.V");
  refused({2, 2.01, 0}, "cell_key.V");  // above D(D+1)/3 = 2
  refused({2, 1, -1}, "cell_key.js");
  refused({2, 1, 2}, "cell_key.js");  // js >= D: count 3 would have no target below it
  CHECK(PTable::Build({2, 2, 1}).ok());
  CHECK(PTable::Build({100, 1, 99}).ok());
}

TEST_CASE("the cell key picks the row's interval holding key / 2^64", "[insights]") {
  const PTable table = MustBuild({2, 1, 0});
  for (const PTableRow& row : table.rows()) {
    CAPTURE(row.original);
    double lower = 0;
    for (std::size_t k = 0; k < row.perturbation.size(); ++k) {
      const double upper = lower + row.probability[k];
      // A key whose top 53 bits sit in the middle of the interval.
      const double mid = 0.5 * (lower + upper);
      const auto key = static_cast<std::uint64_t>(std::ldexp(mid, 53)) << 11;
      CHECK(table.Perturbation(row.original, key) == row.perturbation[k]);
      lower = upper;
    }
    CHECK(table.Perturbation(row.original, 0) == row.perturbation.front());
    CHECK(table.Perturbation(row.original, ~std::uint64_t{0}) == row.perturbation.back());
  }
  // Every count past the last row uses the last row; zero stays zero; a negative count is left.
  const PTableRow& top = table.rows().back();
  const std::uint64_t key = std::uint64_t{1} << 63;  // u = 1/2
  for (const std::int64_t count : {std::int64_t{2}, std::int64_t{3}, std::int64_t{1000000}}) {
    CHECK(table.Perturbation(count, key) == table.Perturbation(2, key));
  }
  CHECK(table.Perturbation(7, key) == top.perturbation[2]);  // the middle of a symmetric row
  SplitMix64 rng{7};
  for (int k = 0; k < 1000; ++k) CHECK(table.Perturbation(0, rng.Next()) == 0);
  CHECK(table.Perturbation(-4, key) == 0);
}

TEST_CASE("the same count and cell key always give the same perturbation", "[insights]") {
  const PTable a = MustBuild({3, 1.5, 1});
  const PTable b = MustBuild({3, 1.5, 1});
  SplitMix64 rng{99};
  for (int k = 0; k < 10000; ++k) {
    const std::uint64_t key = rng.Next();
    const auto count = static_cast<std::int64_t>(rng.Next() % 12);
    const std::int64_t v = a.Perturbation(count, key);
    CHECK(a.Perturbation(count, key) == v);
    CHECK(b.Perturbation(count, key) == v);
  }
  for (std::size_t i = 0; i < a.rows().size(); ++i) {
    CHECK(a.rows()[i].probability == b.rows()[i].probability);
  }
}

TEST_CASE("random cell keys give each perturbation with the row's probability", "[insights]") {
  const PTable table = MustBuild({3, 1.5, 1});
  SplitMix64 rng{2024};
  constexpr int kDraws = 200000;
  for (const PTableRow& row : table.rows()) {
    CAPTURE(row.original);
    std::map<std::int64_t, int> counts;
    for (int k = 0; k < kDraws; ++k) ++counts[table.Perturbation(row.original, rng.Next())];
    double chi2 = 0;
    for (std::size_t k = 0; k < row.perturbation.size(); ++k) {
      const double expected = kDraws * row.probability[k];
      const double observed = counts[row.perturbation[k]];
      CAPTURE(row.perturbation[k], expected, observed);
      // Each count within 5 binomial standard deviations.
      CHECK(std::abs(observed - expected) <= 5 * std::sqrt(expected * (1 - row.probability[k])));
      chi2 += (observed - expected) * (observed - expected) / expected;
    }
    // Nothing outside the row.
    CHECK(counts.size() == row.perturbation.size());
    // At most 6 degrees of freedom: P(chi2 > 35) < 1e-5.
    CHECK(chi2 < 35);
  }
}

// ---- Discrete Laplace -----------------------------------------------------------------------

// P(x) = (1 - e^(-1/t)) / (1 + e^(-1/t)) e^(-|x|/t).
double LaplacePmf(std::int64_t x, double t) {
  const double r = std::exp(-1 / t);
  return (1 - r) / (1 + r) * std::pow(r, static_cast<double>(std::abs(x)));
}

TEST_CASE("discrete Laplace draws follow the distribution of their scale", "[insights]") {
  struct Case {
    std::int64_t numerator, denominator;
  };
  for (const Case c : {Case{1, 1}, Case{5, 2}, Case{1, 3}, Case{7, 1}}) {
    const double t = static_cast<double>(c.numerator) / static_cast<double>(c.denominator);
    CAPTURE(t);
    const RandomBits bits =
        SeededBits(static_cast<std::uint64_t>(c.numerator * 31 + c.denominator));
    constexpr int kDraws = 200000;
    std::map<std::int64_t, int> counts;
    double sum = 0, sum2 = 0;
    for (int k = 0; k < kDraws; ++k) {
      const auto x = SampleDiscreteLaplace(c.numerator, c.denominator, bits);
      REQUIRE(x.ok());
      ++counts[*x];
      sum += static_cast<double>(*x);
      sum2 += static_cast<double>(*x) * static_cast<double>(*x);
    }
    const double r = std::exp(-1 / t);
    const double variance = 2 * r / ((1 - r) * (1 - r));
    const double mean = sum / kDraws;
    CHECK(std::abs(mean) <= 5 * std::sqrt(variance / kDraws));
    const double sample_variance = sum2 / kDraws - mean * mean;
    // The sample variance's standard deviation is about V sqrt(5 / n) (kurtosis 6): 4 % is
    // over 6 of them at n = 200,000.
    CHECK(std::abs(sample_variance / variance - 1) <= 0.04);
    // Every value with an expected count of 20 or more within 5 binomial deviations (+1); the
    // rest together no more than expected.
    double tail_expected = 1, tail_observed = 0;
    for (const auto& [x, n] : counts) {
      const double p = LaplacePmf(x, t);
      if (kDraws * p < 20) tail_observed += n;
    }
    for (std::int64_t x = -2000; x <= 2000; ++x) {
      const double p = LaplacePmf(x, t);
      const double expected = kDraws * p;
      if (expected < 20) {
        tail_expected += expected;
        continue;
      }
      CAPTURE(x, expected, counts[x]);
      CHECK(std::abs(counts[x] - expected) <= 5 * std::sqrt(expected * (1 - p)) + 1);
    }
    CHECK(tail_observed <= tail_expected + 5 * std::sqrt(tail_expected) + 5);
    // Symmetric: x and -x as often, within 5 deviations of their sum.
    for (std::int64_t x = 1; x <= 10; ++x) {
      const double both = counts[x] + counts[-x];
      CHECK(std::abs(counts[x] - counts[-x]) <= 5 * std::sqrt(both) + 1);
    }
  }
}

TEST_CASE("discrete Laplace draws are a function of the random words", "[insights]") {
  const RandomBits a = SeededBits(5), b = SeededBits(5);
  for (int k = 0; k < 1000; ++k)
    CHECK(*SampleDiscreteLaplace(3, 2, a) == *SampleDiscreteLaplace(3, 2, b));
}

TEST_CASE("discrete Laplace refuses a scale that is not positive", "[insights]") {
  const RandomBits bits = SeededBits(1);
  for (const auto& [n, d] : std::vector<std::pair<std::int64_t, std::int64_t>>{
           {0, 1}, {-1, 1}, {1, 0}, {1, -5}, {std::numeric_limits<std::int64_t>::min(), 1}}) {
    const auto x = SampleDiscreteLaplace(n, d, bits);
    REQUIRE_FALSE(x.ok());
    CHECK(x.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("discrete Laplace passes on the random source's error", "[insights]") {
  const RandomBits broken = []() -> absl::StatusOr<std::uint64_t> {
    return absl::UnavailableError("entropy: gone");
  };
  const auto x = SampleDiscreteLaplace(1, 1, broken);
  REQUIRE_FALSE(x.ok());
  CHECK(x.status().code() == absl::StatusCode::kUnavailable);
  // A source that fails part-way through a draw.
  for (int fail_at = 1; fail_at <= 6; ++fail_at) {
    auto calls = std::make_shared<int>(0);
    auto good = std::make_shared<SplitMix64>(SplitMix64{11});
    const RandomBits flaky = [calls, good, fail_at]() -> absl::StatusOr<std::uint64_t> {
      if (++*calls == fail_at) return absl::DataLossError("entropy: short read");
      return good->Next();
    };
    const auto y = SampleDiscreteLaplace(5, 2, flaky);
    if (!y.ok()) CHECK(y.status().code() == absl::StatusCode::kDataLoss);
    if (*calls >= fail_at) CHECK_FALSE(y.ok());  // the failing word was read
  }
  // A stuck source (always the same word) is stopped rather than looping forever.
  const RandomBits stuck = []() -> absl::StatusOr<std::uint64_t> { return 0; };
  const auto z = SampleDiscreteLaplace(3, 1, stuck);
  REQUIRE_FALSE(z.ok());
  CHECK(z.status().code() == absl::StatusCode::kInternal);
}

TEST_CASE("discrete Laplace at a huge scale refuses noise past 64 bits", "[insights]") {
  // Scale 2^62: X = U + t V passes 2^63 as soon as V >= 2 (probability e^-2 per draw).
  const RandomBits bits = SeededBits(3);
  int refused = 0, drawn = 0;
  for (int k = 0; k < 200; ++k) {
    const auto x = SampleDiscreteLaplace(std::int64_t{1} << 62, 1, bits);
    if (x.ok()) {
      ++drawn;
    } else {
      CHECK(x.status().code() == absl::StatusCode::kOutOfRange);
      ++refused;
    }
  }
  CHECK(refused > 0);
  CHECK(drawn > 0);
}

TEST_CASE("CryptoBits gives fresh words", "[insights]") {
  // 200 words cross the source's refills of 64; two equal words would have probability below
  // 200^2 / 2^65.
  const RandomBits bits = CryptoBits();
  std::set<std::uint64_t> seen;
  for (int k = 0; k < 200; ++k) {
    const auto word = bits();
    REQUIRE(word.ok());
    CHECK(seen.insert(*word).second);
  }
  // Two sources do not share their words either.
  const RandomBits other = CryptoBits();
  const auto word = other();
  REQUIRE(word.ok());
  CHECK(seen.count(*word) == 0);
  CHECK(SampleDiscreteLaplace(2, 1, bits).ok());
}

// ---- Differential privacy on a mean --------------------------------------------------------

// A register of people with episodes in consecutive years, each episode measured twice on ORS
// (the second, "last", total is what a mean of the total averages).
struct DpRegister {
  std::vector<varsam::store::EpisodeRow> episodes;
  std::vector<varsam::store::RegisterMeasurementRow> measurements;
  // Per person: their last totals, episode by episode, and their sex.
  std::vector<std::vector<double>> totals;
};

std::string DpPseudonym(int person) {
  std::string p = "p1_" + std::to_string(person);
  p.resize(46, 'B');
  return p;
}

void AddPerson(DpRegister& r, int person, const std::vector<double>& last_totals,
               std::uint64_t first_key) {
  for (std::size_t e = 0; e < last_totals.size(); ++e) {
    const std::string year = std::to_string(2015 + static_cast<int>(e));
    varsam::store::EpisodeRow row;
    row.pseudonym = DpPseudonym(person);
    row.key_epoch = 1;
    row.age_band = person % 3 == 0 ? "18-24" : "25-34";
    row.sex = person % 2 == 0 ? "female" : "male";
    row.region = "01";
    row.case_kind = "insats";
    row.start_period = year + "-Q1";
    row.end_period = year + "-Q4";
    row.outcome = "improved";
    row.record_key = first_key + e;
    r.episodes.push_back(row);
    for (int session = 1; session <= 2; ++session) {
      varsam::store::RegisterMeasurementRow m;
      m.pseudonym = DpPseudonym(person);
      m.key_epoch = 1;
      m.instrument = "ors";
      m.session = session;
      m.period = year + (session == 1 ? "-02" : "-05");
      m.total = session == 1 ? 20.0 : last_totals[e];
      r.measurements.push_back(m);
    }
  }
  if (r.totals.size() <= static_cast<std::size_t>(person))
    r.totals.resize(static_cast<std::size_t>(person) + 1);
  r.totals[static_cast<std::size_t>(person)] = last_totals;
}

// `people` people with 1 to 4 episodes each, last totals from lo to hi in tenths.
DpRegister RandomDpRegister(int people, double lo, double hi, std::uint64_t seed) {
  SplitMix64 rng{seed};
  DpRegister r;
  for (int p = 0; p < people; ++p) {
    const int n = 1 + static_cast<int>(rng.Next() % 4);
    std::vector<double> totals;
    for (int e = 0; e < n; ++e) {
      const auto steps = static_cast<std::uint64_t>(std::llround((hi - lo) * 10)) + 1;
      totals.push_back(lo + static_cast<double>(rng.Next() % steps) / 10);
    }
    AddPerson(r, p, totals, (rng.Next() >> 2) + 1);
  }
  return r;
}

Columns DpColumns(const DpRegister& r) {
  auto columns = BuildColumns(r.episodes, r.measurements, "ors");
  REQUIRE(columns.ok());
  return *std::move(columns);
}

Query DpMeanQuery(std::vector<Dimension> dimensions, bool margins, DpParams dp) {
  Query q;
  q.measure.kind = MeasureKind::kMean;
  q.measure.of = Quantity::kTotal;
  q.measure.instrument = "ors";
  q.dimensions = std::move(dimensions);
  q.margins = margins;
  q.protection.dp = dp;
  return q;
}

Table DpTable(const Query& q, const Columns& columns) {
  auto table = Aggregate(q, columns);
  REQUIRE(table.ok());
  return *std::move(table);
}

// A value clamped and rounded to the nearest whole number, halves to even, by the C library's
// default rounding mode (an implementation independent of the library's).
std::int64_t ClampRoundHalfEven(double x, double lower, double upper) {
  REQUIRE(std::fegetround() == FE_TONEAREST);
  return static_cast<std::int64_t>(std::nearbyint(std::min(std::max(x, lower), upper)));
}

TEST_CASE("dp on a mean: the loader refuses missing, crossed or out-of-range bounds by name",
          "[insights]") {
  constexpr std::string_view kMean =
      R"("measure": {"kind": "mean", "of": "total", "instrument": "ors"})";
  const auto mean = [&](std::string_view dp) {
    return "{" + std::string(kMean) + R"(, "protection": {"dp": )" + std::string(dp) + "}}";
  };
  const std::vector<std::pair<std::string, std::string>> cases = {
      {mean(R"({"epsilon": 1, "upper": 27})"), "query.protection.dp.lower"},
      {mean(R"({"epsilon": 1, "lower": 0})"), "query.protection.dp.upper"},
      {mean(R"({"epsilon": 1, "lower": 30, "upper": 27})"), "query.protection.dp.lower"},
      {mean(R"({"epsilon": 1, "lower": 27, "upper": 27})"), "query.protection.dp.lower"},
      {mean(R"({"epsilon": 1, "lower": -1000001, "upper": 27})"), "query.protection.dp.lower"},
      {mean(R"({"epsilon": 1, "lower": 0, "upper": 1000001})"), "query.protection.dp.upper"},
      {mean(R"({"epsilon": 1, "lower": 0.5, "upper": 27})"), "query.protection.dp.lower"},
      {mean(R"({"epsilon": 1, "lower": "0", "upper": 27})"), "query.protection.dp.lower"},
      {mean(R"({"epsilon": 1, "lower": 0, "upper": 27, "sum_share": 0})"),
       "query.protection.dp.sum_share"},
      {mean(R"({"epsilon": 1, "lower": 0, "upper": 27, "sum_share": 1})"),
       "query.protection.dp.sum_share"},
      {mean(R"({"epsilon": 1, "lower": 0, "upper": 27, "sum_share": -0.5})"),
       "query.protection.dp.sum_share"},
      {mean(R"({"lower": 0, "upper": 27})"), "query.protection.dp.epsilon"},
      {mean(R"({"epsilon": 1, "lower": 0, "upper": 27, "width": 3})"), "query.protection.dp"},
      {R"({"measure": {"kind": "people"}, "protection": {"dp": {"epsilon": 1, "lower": 0}}})",
       "query.protection.dp.lower"},
      {R"({"measure": {"kind": "episodes"}, "protection": {"dp": {"epsilon": 1, "upper": 9}}})",
       "query.protection.dp.upper"},
      {R"({"measure": {"kind": "people"}, "protection": {"dp": {"epsilon": 1, "sum_share": 0.5}}})",
       "query.protection.dp.sum_share"},
      {R"({"measure": {"kind": "median", "of": "total", "instrument": "ors"},
          "protection": {"dp": {"epsilon": 1, "lower": 0, "upper": 27}}})",
       "query.protection.dp: cannot protect a median"},
      {R"({"measure": {"kind": "share", "outcome": "improved"},
          "protection": {"dp": {"epsilon": 1}}})",
       "query.protection.dp"},
      {"{" + std::string(kMean) + R"(, "protection": {"dominance": {"n": 1, "k": 85},
          "dp": {"epsilon": 1, "lower": 0, "upper": 27}}})",
       "query.protection.dp"},
  };
  for (const auto& [json, field] : cases) {
    INFO(json);
    const auto q = ParseQuery(json);
    REQUIRE(q.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(q.status().message().find(field) != std::string_view::npos);
    CHECK(q.status().message().find("1000001") == std::string_view::npos);
  }
}

TEST_CASE("dp on a mean: the bounds and the split are read and written canonically", "[insights]") {
  const auto q = ParseQuery(R"({"measure": {"kind": "mean", "of": "change", "instrument": "ors"},
      "protection": {"dp": {"epsilon": 1, "contributions": 2, "lower": -10, "upper": 27}}})");
  REQUIRE(q.ok());
  REQUIRE(q->protection.dp.has_value());
  CHECK(q->protection.dp->lower == -10);
  CHECK(q->protection.dp->upper == 27);
  CHECK(q->protection.dp->contributions == 2);
  CHECK(q->protection.dp->sum_share == 0.5);  // the documented default
  const std::string canonical = QueryJson(*q);
  CHECK(canonical.find(R"("lower":-10)") != std::string::npos);
  CHECK(canonical.find(R"("upper":27)") != std::string::npos);
  CHECK(canonical.find(R"("sum_share":0.5)") != std::string::npos);
  const auto again = ParseQuery(canonical);
  REQUIRE(again.ok());
  CHECK(QueryJson(*again) == canonical);
  CHECK(again->protection.dp->sum_share == 0.5);

  const auto shared = ParseQuery(R"({"measure": {"kind": "mean", "of": "duration"},
      "protection": {"dp": {"epsilon": 0.7, "lower": 0, "upper": 60, "sum_share": 0.3}}})");
  REQUIRE(shared.ok());
  CHECK(shared->protection.dp->sum_share == 0.3);
  CHECK(QueryJson(*ParseQuery(QueryJson(*shared))) == QueryJson(*shared));

  // A count's canonical form has no bounds: they are refused there.
  const auto count =
      ParseQuery(R"({"measure": {"kind": "people"}, "protection": {"dp": {"epsilon": 1}}})");
  REQUIRE(count.ok());
  const std::string count_json = QueryJson(*count);
  CHECK(count_json.find("lower") == std::string::npos);
  CHECK(count_json.find("sum_share") == std::string::npos);
  CHECK(ParseQuery(count_json).ok());
}

TEST_CASE("dp on a mean: each value is clamped to the bounds and rounded before summing",
          "[insights]") {
  // One person far above upper: the whole table's clamped sum is upper.
  {
    DpRegister r;
    AddPerson(r, 0, {100}, 5);
    const Columns columns = DpColumns(r);
    const Table table = DpTable(DpMeanQuery({}, false, DpParams{1, 1, 0, 27}), columns);
    REQUIRE(table.cells.size() == 1);
    CHECK(table.cells[0].clamped_sum == 27);
    CHECK(table.cells[0].values == 1);
    CHECK(table.cells[0].raw == 100);  // the unclamped mean is still the raw measure
  }
  // Many people, values across and beyond the bounds, by sex with margins: each cell's clamped
  // sum against one computed here from the rows.
  const DpRegister r = RandomDpRegister(300, -20, 60, 17);
  const Columns columns = DpColumns(r);
  constexpr int kLower = -5, kUpper = 33;
  const int contributions = 2;
  const Table table = DpTable(
      DpMeanQuery({Dimension::kSex}, true, DpParams{1, contributions, kLower, kUpper}), columns);
  // The contribution cap keeps a person's episodes with the lowest record keys: AddPerson gives
  // their episodes rising keys, so their first `contributions` episodes.
  std::map<std::string, std::int64_t> expected;
  std::map<std::string, std::int64_t> values;
  bool clamped_some = false;
  for (std::size_t p = 0; p < r.totals.size(); ++p) {
    const std::string sex = p % 2 == 0 ? "female" : "male";
    for (std::size_t e = 0; e < r.totals[p].size() && e < contributions; ++e) {
      const double x = r.totals[p][e];
      clamped_some = clamped_some || x > kUpper || x < kLower;
      const std::int64_t v = ClampRoundHalfEven(x, kLower, kUpper);
      expected[sex] += v;
      expected["total"] += v;
      ++values[sex];
      ++values["total"];
    }
  }
  REQUIRE(clamped_some);
  REQUIRE(table.cells.size() == 3);
  for (const Cell& cell : table.cells) {
    const std::string key = cell.levels[0] == kMargin
                                ? "total"
                                : table.levels[0][static_cast<std::size_t>(cell.levels[0])];
    CAPTURE(key);
    CHECK(cell.clamped_sum == expected[key]);
    CHECK(cell.values == values[key]);
  }
}

TEST_CASE("dp on a mean: one person moves the clamped sums by at most contributions x bound",
          "[insights]") {
  constexpr int kLower = -4, kUpper = 30;
  constexpr std::int64_t kBound = 30;
  for (const int contributions : {1, 2, 3}) {
    CAPTURE(contributions);
    DpRegister a = RandomDpRegister(120, 0, 40, 99);
    DpRegister b = a;
    // The neighbour: one more person with five episodes, all far above upper.
    AddPerson(b, 500, {90, 95, 80, 99, 85}, 1000);
    const Query q = DpMeanQuery({Dimension::kSex, Dimension::kAgeBand}, true,
                                DpParams{1, contributions, kLower, kUpper});
    const Table ta = DpTable(q, DpColumns(a));
    const Table tb = DpTable(q, DpColumns(b));
    REQUIRE(ta.levels == tb.levels);
    REQUIRE(ta.cells.size() == tb.cells.size());
    std::int64_t l1_sum = 0, l1_values = 0, touched = 0;
    for (std::size_t c = 0; c < ta.cells.size(); ++c) {
      REQUIRE(ta.cells[c].levels == tb.cells[c].levels);
      const std::int64_t ds = std::abs(tb.cells[c].clamped_sum - ta.cells[c].clamped_sum);
      const std::int64_t dn = std::abs(tb.cells[c].values - ta.cells[c].values);
      CHECK(ds <= contributions * kBound);
      CHECK(dn <= contributions);
      l1_sum += ds;
      l1_values += dn;
      touched += ds > 0 ? 1 : 0;
    }
    // With two dimensions and margins the person lies in 2^2 cells; they reach the bound
    // exactly (every kept value is clamped to upper).
    CHECK(touched == 4);
    CHECK(l1_sum == kBound * contributions * 4);
    CHECK(l1_values == std::int64_t{contributions} * 4);
  }
}

TEST_CASE("dp on a mean: the noisy sum and count have the variance of their scales", "[insights]") {
  const DpRegister r = RandomDpRegister(60, 0, 40, 5);
  const Columns columns = DpColumns(r);
  // epsilon 1, a quarter to the sum; bounds [-3, 5]: max(|lower|, |upper|) = 5; contributions 2;
  // one dimension with margins: a person lies in 2 cells.
  const DpParams dp{1, 2, -3, 5, 0.25};
  const Table base = DpTable(DpMeanQuery({Dimension::kSex}, true, dp), columns);
  const double sum_scale = 2.0 * 5 * 2 / (1 * 0.25);
  const double count_scale = 2.0 * 2 / (1 * 0.75);
  const RandomBits bits = SeededBits(2024);
  constexpr int kRuns = 20000;
  double s1 = 0, s2 = 0, n1 = 0, n2 = 0;
  int draws = 0;
  for (int run = 0; run < kRuns; ++run) {
    Table table = base;
    REQUIRE(Protect(table, bits).ok());
    for (const Cell& cell : table.cells) {
      const auto zs = static_cast<double>(cell.noisy_sum - cell.clamped_sum);
      const auto zn = static_cast<double>(cell.noisy_values - cell.values);
      s1 += zs;
      s2 += zs * zs;
      n1 += zn;
      n2 += zn * zn;
      ++draws;
    }
  }
  const auto variance = [](double t) {
    const double q = std::exp(-1 / t);
    return 2 * q / ((1 - q) * (1 - q));
  };
  const double vs = variance(sum_scale), vn = variance(count_scale);
  CAPTURE(sum_scale, count_scale, vs, vn);
  // The sample variance's relative deviation is about sqrt(5 / n) = 0.9 % at n = 60,000.
  const double ms = s1 / draws, mn = n1 / draws;
  CHECK(std::abs(ms) <= 5 * std::sqrt(vs / draws));
  CHECK(std::abs(mn) <= 5 * std::sqrt(vn / draws));
  CHECK(std::abs((s2 / draws - ms * ms) / vs - 1) <= 0.05);
  CHECK(std::abs((n2 / draws - mn * mn) / vn - 1) <= 0.05);
  // And not the variance of the whole epsilon on the sum (a 4 times smaller scale).
  CHECK(std::abs((s2 / draws - ms * ms) / variance(sum_scale / 4) - 1) > 0.5);
}

TEST_CASE("dp on a mean: published means lie within the bounds and are the noisy quotient",
          "[insights]") {
  // Values mostly above upper, small epsilon: noisy quotients fall far outside [lower, upper].
  const DpRegister r = RandomDpRegister(400, 10, 60, 8);
  const Columns columns = DpColumns(r);
  constexpr int kLower = 12, kUpper = 25;
  const Query q =
      DpMeanQuery({Dimension::kSex, Dimension::kAgeBand}, true, DpParams{0.05, 1, kLower, kUpper});
  int published = 0, at_bound = 0;
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    Table table = DpTable(q, columns);
    REQUIRE(Protect(table, SeededBits(seed)).ok());
    for (const Cell& cell : table.cells) {
      if (cell.status != CellStatus::kPublished) continue;
      ++published;
      CHECK(cell.value >= kLower);
      CHECK(cell.value <= kUpper);
      const double quotient =
          static_cast<double>(cell.noisy_sum) / static_cast<double>(cell.noisy_values);
      CHECK(cell.value == std::min<double>(std::max<double>(quotient, kLower), kUpper));
      at_bound += cell.value == kLower || cell.value == kUpper ? 1 : 0;
    }
  }
  CHECK(published > 0);
  CHECK(at_bound > 0);  // the clamp was needed
}

TEST_CASE("dp on a mean: a cell whose noisy count is below the threshold is protected",
          "[insights]") {
  // Cells of very different sizes (age band 18-24 holds a third of the people), a high
  // threshold: both outcomes occur.
  const DpRegister r = RandomDpRegister(45, 0, 40, 3);
  const Columns columns = DpColumns(r);
  Query q = DpMeanQuery({Dimension::kAgeBand, Dimension::kSex}, true, DpParams{1, 1, 0, 40});
  q.protection.threshold = 20;
  int below = 0, above = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Table table = DpTable(q, columns);
    REQUIRE(Protect(table, SeededBits(seed)).ok());
    for (const Cell& cell : table.cells) {
      if (cell.noisy_values < q.protection.threshold) {
        ++below;
        CHECK(cell.status == CellStatus::kProtected);
        CHECK(cell.reason == ProtectionReason::kThreshold);
        CHECK(std::isnan(cell.value));
      } else {
        ++above;
        CHECK(cell.status == CellStatus::kPublished);
        CHECK(!std::isnan(cell.value));
      }
    }
    CHECK(table.methods.front().find("epsilon=1 (sum 0.5, count 0.5)") != std::string::npos);
    CHECK(table.methods.front().find("bounds [0, 40]") != std::string::npos);
    CHECK(table.methods.front().find("sum sensitivity=160") != std::string::npos);
    CHECK(table.methods.front().find("count sensitivity=4") != std::string::npos);
  }
  CHECK(below > 0);
  CHECK(above > 0);
}

TEST_CASE("dp on a mean: no raw or noisy sum reaches the table's JSON", "[insights]") {
  // Values near 432,198.7 with bounds up to 1,000,000: the sums are seven-digit numbers that
  // no published mean (a six-digit number with decimals) contains.
  DpRegister r;
  for (int p = 0; p < 10; ++p) AddPerson(r, p, {432198.7 + p}, 100 + static_cast<std::uint64_t>(p));
  const Columns columns = DpColumns(r);
  Table table = DpTable(DpMeanQuery({}, false, DpParams{10, 1, 0, 1000000}), columns);
  REQUIRE(Protect(table, SeededBits(77)).ok());
  REQUIRE(table.cells.size() == 1);
  const Cell& cell = table.cells[0];
  std::int64_t expected = 0;
  for (const auto& totals : r.totals) expected += ClampRoundHalfEven(totals[0], 0, 1000000);
  CHECK(cell.clamped_sum == expected);
  const std::string json = TableJson(table);
  CHECK(json.find(std::to_string(cell.clamped_sum)) == std::string::npos);
  CHECK(json.find(std::to_string(cell.noisy_sum)) == std::string::npos);
  CHECK(json.find("sum\"") == std::string::npos);  // no *_sum key; "sum_share" is in the query
  CHECK(json.find("clamped_") == std::string::npos);
  CHECK(json.find("noisy_") == std::string::npos);
  CHECK(json.find(R"("value":)") != std::string::npos);  // the mean itself is there
}

TEST_CASE("dp on a mean: Protect refuses bounds and splits the loader would refuse", "[insights]") {
  const DpRegister r = RandomDpRegister(20, 0, 40, 4);
  const Columns columns = DpColumns(r);
  struct Case {
    DpParams dp;
    std::string field;
  };
  const std::vector<Case> cases = {
      {DpParams{1, 1, 5, 5}, "query.protection.dp.lower"},
      {DpParams{1, 1, 9, 2}, "query.protection.dp.lower"},
      {DpParams{1, 1, 0, 2000000}, "query.protection.dp.upper"},
      {DpParams{1, 1, -2000000, 0}, "query.protection.dp.lower"},
      {DpParams{1, 1, 0, 27, 1}, "query.protection.dp.sum_share"},
      // One millionth of epsilon cannot be split in two.
      {DpParams{1e-6, 1, 0, 27, 0.5}, "query.protection.dp.sum_share"},
      {DpParams{1e-7, 1, 0, 27, 0.5}, "query.protection.dp.epsilon"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.field, c.dp.epsilon, c.dp.lower, c.dp.upper, c.dp.sum_share);
    Table table = DpTable(DpMeanQuery({}, false, c.dp), columns);
    const absl::Status status = Protect(table, SeededBits(1));
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(status.message().find(c.field) != std::string_view::npos);
  }
  // A median under DP, built without the loader, is refused too.
  Query median = DpMeanQuery({}, false, DpParams{1, 1, 0, 27});
  median.measure.kind = MeasureKind::kMedian;
  Table table = DpTable(median, columns);
  CHECK(Protect(table, SeededBits(1)).code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
