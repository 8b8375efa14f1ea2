// The synthetic population (include/varsam/synth.h, docs/synth.md): determinism, identity
// numbers only from Skatteverket's official test list, distinct client ids when numbers repeat,
// distributions within tolerances of the stated parameters on a seeded run, exact ground truth
// of the identifiers in the notes, the CSV schema and the store output.
//
// Every identity number here comes from the generator, i.e. from the official test list.

#include "varsam/synth.h"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "varsam/core.h"
#include "varsam/ident.h"
#include "varsam/store.h"

namespace {

namespace fs = std::filesystem;
using varsam::Date;
using varsam::synth::ClientRecord;
using varsam::synth::Generator;
using varsam::synth::Options;
using varsam::synth::SpanKind;

std::unique_ptr<Generator> Make(const Options& options) {
  auto generator = Generator::Create(options);
  REQUIRE(generator.ok());
  return std::move(generator).value();
}

// Collects every record in memory.
class Collect : public varsam::synth::Sink {
 public:
  absl::Status Add(const ClientRecord& record) override {
    records.push_back(record);
    return absl::OkStatus();
  }
  std::vector<ClientRecord> records;
};

// A fresh temporary directory, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ =
        fs::temp_directory_path() / varsam::Cat({"varsam_synth_test_", std::to_string(::getpid()),
                                                 "_", std::to_string(++counter)});
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// RFC 4180: rows of fields; CRLF line ends; quoted fields may hold commas, quotes, line breaks.
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
      ++i;
    } else {
      field += c;
    }
  }
  return rows;
}

std::map<std::string, std::string> WriteCsv(const Options& options, int threads = 1) {
  TempDir dir;
  auto generator = Make(options);
  auto sink = varsam::synth::CsvSink(dir.path().string());
  REQUIRE(sink.ok());
  REQUIRE(generator->Run(**sink, threads).ok());
  std::map<std::string, std::string> files;
  for (const char* name :
       {"clients.csv", "cases.csv", "measurements.csv", "notes.csv", "notes_truth.csv"}) {
    files[name] = ReadFile(dir.path() / name);
  }
  return files;
}

int AgeOn(Date birth, Date day) {
  int age = static_cast<int>(day.year() - birth.year());
  if (day.month() < birth.month() || (day.month() == birth.month() && day.day() < birth.day())) {
    --age;
  }
  return age;
}

std::string ClientIdOf(std::size_t index) {
  std::string digits = std::to_string(index);
  const std::string zeros(digits.size() < 7 ? 7 - digits.size() : 0, '0');
  return varsam::Cat({"K", zeros, digits});
}

double Mean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

double Sd(const std::vector<double>& v) {
  const double mean = Mean(v);
  double sum = 0;
  for (double x : v) sum += (x - mean) * (x - mean);
  return std::sqrt(sum / static_cast<double>(v.size() - 1));
}

// The seeded run the distribution tests share (20,000 clients, seed 20250101).
const std::vector<ClientRecord>& Population() {
  static const std::vector<ClientRecord>* const kRecords = [] {
    Options options;
    options.seed = 20250101;
    options.clients = 20000;
    auto generator = Make(options);
    auto* collect = new Collect;
    REQUIRE(generator->Run(*collect, 0).ok());
    return &collect->records;
  }();
  return *kRecords;
}

}  // namespace

TEST_CASE("synth: the same seed gives the same output, another seed another", "[synth]") {
  Options options;
  options.seed = 7;
  options.clients = 400;
  const auto first = WriteCsv(options);
  const auto again = WriteCsv(options, /*threads=*/4);  // threads do not change the output
  CHECK(first == again);
  options.seed = 8;
  const auto other = WriteCsv(options);
  for (const auto& [name, text] : first) {
    INFO(name);
    CHECK(text != other.at(name));
  }
  // MakeClient depends on the options and the index only.
  options.seed = 7;
  auto a = Make(options);
  auto b = Make(options);
  const ClientRecord x = a->MakeClient(123);
  const ClientRecord y = b->MakeClient(123);
  CHECK(x.client.personnummer == y.client.personnummer);
  CHECK(x.notes.size() == y.notes.size());
  CHECK(x.measurements.size() == y.measurements.size());
}

TEST_CASE("synth: every identity number is an official test number", "[synth]") {
  Options options;
  options.seed = 3;
  options.clients = 3000;
  auto generator = Make(options);
  for (std::size_t i = 0; i < options.clients; ++i) {
    const ClientRecord r = generator->MakeClient(i);
    const auto check = varsam::ident::Check(r.client.personnummer, options.reference_date);
    REQUIRE(check.ok());
    REQUIRE(check.number.official_test_number);
    REQUIRE(varsam::ident::IsOfficialTestNumber(r.client.personnummer));
    // Sex and birth date come from the number.
    REQUIRE(check.number.sex == r.client.sex);
    REQUIRE(check.number.birth_date == r.client.birth_date);
    REQUIRE(AgeOn(r.client.birth_date, options.reference_date) <= options.max_age);
  }
}

TEST_CASE("synth: the cycle is the official list of people up to max_age", "[synth]") {
  // Count the list's people aged at most 100 on the reference date straight from the file.
  std::ifstream list(std::string(VARSAM_DATA_DIR) + "/skatteverket-testpersonnummer.txt");
  REQUIRE(list);
  std::size_t all = 0, eligible = 0;
  std::string line;
  const Date reference(2025, 1, 1);
  while (std::getline(list, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() != 12) continue;
    ++all;
    const Date birth(std::stoi(line.substr(0, 4)), std::stoi(line.substr(4, 2)),
                     std::stoi(line.substr(6, 2)));
    if (birth <= reference && AgeOn(birth, reference) <= 100) ++eligible;
  }
  CHECK(all == 41493);
  Options options;
  CHECK(Make(options)->cycle_length() == eligible);
  options.max_age = 150;  // everyone in the list (born from 1890)
  CHECK(Make(options)->cycle_length() == all);
}

TEST_CASE("synth: client ids stay distinct when identity numbers repeat", "[synth]") {
  Options options;
  options.seed = 11;
  options.clients = 1300;
  options.cycle_limit = 500;  // repeat after 500 clients instead of after the whole list
  auto generator = Make(options);
  REQUIRE(generator->cycle_length() == 500);
  Collect collect;
  REQUIRE(generator->Run(collect).ok());
  std::set<std::string> ids, numbers;
  for (const ClientRecord& r : collect.records) {
    ids.insert(r.client.id);
    numbers.insert(r.client.personnummer);
  }
  CHECK(ids.size() == 1300);
  CHECK(numbers.size() == 500);
  CHECK(collect.records[0].client.id == "K0000000");
  CHECK(collect.records[1299].client.id == "K0001299");
  CHECK(collect.records[7].client.personnummer == collect.records[507].client.personnummer);
  CHECK(collect.records[7].client.personnummer == collect.records[1007].client.personnummer);
  // With the whole cycle (33,668 people aged up to 100 on 2025-01-01), client i and client
  // i + cycle share a number and nothing else.
  auto full = Make(Options());
  const std::size_t cycle = full->cycle_length();
  CHECK(cycle > 30000);
  const ClientRecord a = full->MakeClient(5);
  const ClientRecord b = full->MakeClient(5 + cycle);
  CHECK(a.client.personnummer == b.client.personnummer);
  CHECK(a.client.id == "K0000005");
  CHECK(b.client.id == ClientIdOf(5 + cycle));
  CHECK(full->MakeClient(4 + cycle).client.personnummer != a.client.personnummer);
  // Every case, measurement and note refers to its own client id.
  for (const ClientRecord& r : collect.records) {
    for (const auto& c : r.cases) REQUIRE(c.client_id == r.client.id);
    for (const auto& m : r.measurements) REQUIRE(m.client_ref == r.client.id);
    for (const auto& n : r.notes) REQUIRE(n.client_id == r.client.id);
  }
}

TEST_CASE("synth: intake ORS is about N(19, 7)", "[synth]") {
  std::vector<double> intake;
  for (const ClientRecord& r : Population()) {
    for (const auto& m : r.measurements) {
      if (m.instrument == "ors" && m.session == 1) intake.push_back(*m.total);
    }
  }
  REQUIRE(intake.size() > 2000);
  CHECK(Mean(intake) == Approx(19.0).margin(0.5));
  CHECK(Sd(intake) == Approx(7.0).margin(0.5));
  CHECK(*std::min_element(intake.begin(), intake.end()) >= 0);
  CHECK(*std::max_element(intake.begin(), intake.end()) <= 40);
}

TEST_CASE("synth: ORS items have one decimal and sum to the total", "[synth]") {
  std::size_t checked = 0;
  for (const ClientRecord& r : Population()) {
    for (const auto& m : r.measurements) {
      if (m.instrument != "ors" && m.instrument != "srs" && m.instrument != "cors" &&
          m.instrument != "csrs") {
        continue;
      }
      REQUIRE(m.responses.size() == 4);
      double sum = 0;
      for (double x : m.responses) {
        REQUIRE(x >= 0);
        REQUIRE(x <= 10);
        REQUIRE(std::fabs(x * 10 - std::round(x * 10)) < 1e-9);
        sum += x;
      }
      REQUIRE(m.total.has_value());
      REQUIRE(std::fabs(sum - *m.total) < 1e-6);
      ++checked;
    }
  }
  CHECK(checked > 10000);
}

TEST_CASE("synth: ORS gains shrink with session number and with higher intake", "[synth]") {
  std::vector<double> gain_by_session[6];  // gain into session 2..5 (index 2..5)
  std::vector<double> low_intake_change, high_intake_change;
  for (const ClientRecord& r : Population()) {
    std::map<std::string, std::vector<double>> series;
    for (const auto& m : r.measurements) {
      if (m.instrument == "ors") series[m.case_ref].push_back(*m.total);
    }
    for (const auto& [case_ref, ors] : series) {
      for (std::size_t s = 1; s < ors.size() && s < 5; ++s) {
        gain_by_session[s + 1].push_back(ors[s] - ors[s - 1]);
      }
      if (ors.size() >= 4) {
        (ors[0] < 14   ? low_intake_change
         : ors[0] > 24 ? high_intake_change
                       : gain_by_session[0])
            .push_back(ors.back() - ors[0]);
      }
    }
  }
  CHECK(Mean(gain_by_session[2]) > Mean(gain_by_session[3]));
  CHECK(Mean(gain_by_session[3]) > Mean(gain_by_session[4]));
  CHECK(Mean(gain_by_session[4]) > Mean(gain_by_session[5]));
  CHECK(Mean(gain_by_session[2]) > 0);
  CHECK(Mean(low_intake_change) > Mean(high_intake_change) + 2);
}

TEST_CASE("synth: 5-10 % of ORS series reliably deteriorate", "[synth]") {
  // Deterioration: the last ORS at least the reliable change (5 points) below the intake, among
  // series of at least three sessions. 5-10 % of adults in routine care deteriorate (Lambert &
  // Ogles 2004; Hansen, Lambert & Forman 2002); fewer than the 10 % deteriorating
  // clients show it, since some leave or end before their onset or before the decline is
  // reliable, and measurement error hides some and adds a few improvers.
  std::size_t series = 0, deteriorated = 0;
  for (const ClientRecord& r : Population()) {
    std::map<std::string, std::vector<double>> ors;
    for (const auto& m : r.measurements) {
      if (m.instrument == "ors") ors[m.case_ref].push_back(*m.total);
    }
    for (const auto& [case_ref, totals] : ors) {
      if (totals.size() < 3) continue;
      ++series;
      if (totals.back() <= totals.front() - 5) ++deteriorated;
    }
  }
  REQUIRE(series > 1500);
  const double rate = static_cast<double>(deteriorated) / static_cast<double>(series);
  INFO("deterioration rate " << rate << " of " << series);
  CHECK(rate >= 0.05);
  CHECK(rate <= 0.10);
}

namespace {

// The ORS/CORS totals of case `c` in session order.
std::vector<double> SeriesOf(const ClientRecord& r, const varsam::synth::Case& c) {
  std::vector<double> out;
  for (const auto& m : r.measurements) {
    if (m.case_ref == c.id && (m.instrument == "ors" || m.instrument == "cors")) {
      out.push_back(*m.total);
    }
  }
  return out;
}

// |observed - p| within four standard errors of a share p of n.
void CheckShare(std::size_t hits, std::size_t n, double p, std::string_view what) {
  REQUIRE(n > 0);
  const double observed = static_cast<double>(hits) / static_cast<double>(n);
  INFO(what << ": " << observed << " of " << n << ", expected " << p);
  CHECK(std::abs(observed - p) <= 4 * std::sqrt(p * (1 - p) / static_cast<double>(n)));
}

}  // namespace

TEST_CASE("synth: every ORS series has its truth, and the default shares hold", "[synth]") {
  const varsam::synth::SeriesModel model;
  std::size_t series = 0, deteriorating = 0, first_onset = 0, later_onset = 0, early = 0;
  std::size_t improvers = 0, dips = 0, two_session_dips = 0;
  std::vector<double> det_change, imp_change;
  for (const ClientRecord& r : Population()) {
    for (const auto& c : r.cases) {
      const std::vector<double> ors = SeriesOf(r, c);
      REQUIRE(ors.empty() == !c.series_truth.has_value());  // set exactly where a series is
      if (ors.empty()) continue;
      const varsam::synth::SeriesTruth& t = *c.series_truth;
      ++series;
      if (t.deteriorating) {
        ++deteriorating;
        CHECK_FALSE(t.dips);
        CHECK(t.dip_session == 0);
        if (t.onset_session == 1) {
          ++first_onset;
          CHECK_FALSE(t.early_improvement);
        } else {
          CHECK(t.onset_session >= model.onset_later_min);
          CHECK(t.onset_session <= model.onset_later_max);
          ++later_onset;
          early += t.early_improvement;
        }
        // Deteriorators who were seen at least three sessions past their onset.
        if (static_cast<int>(ors.size()) >= t.onset_session + 3) {
          det_change.push_back(ors.back() - ors.front());
        }
      } else {
        ++improvers;
        CHECK(t.onset_session == 0);
        CHECK_FALSE(t.early_improvement);
        if (t.dips) {
          ++dips;
          two_session_dips += t.dip_length == 2;
          CHECK(t.dip_session >= model.dip_session_min);
          CHECK(t.dip_session <= model.dip_session_max);
          CHECK((t.dip_length == 1 || t.dip_length == 2));
        } else {
          CHECK(t.dip_session == 0);
          CHECK(t.dip_length == 0);
        }
        if (ors.size() >= 4) imp_change.push_back(ors.back() - ors.front());
      }
    }
  }
  REQUIRE(series > 3000);
  CheckShare(deteriorating, series, model.deteriorating, "deteriorating");
  CheckShare(first_onset, deteriorating, model.onset_first, "onset at the first session");
  CheckShare(early, later_onset, model.early_improvement, "early improvement before a later onset");
  CheckShare(dips, improvers, model.dip_share, "improvers with a dip");
  CheckShare(two_session_dips, dips, model.dip_two_sessions, "dips of two sessions");
  // The truth shows in the series despite the measurement error: deteriorators seen well past
  // their onset end well below their intake, the others above it.
  REQUIRE(det_change.size() > 100);
  INFO("mean change: deteriorators " << Mean(det_change) << ", others " << Mean(imp_change));
  CHECK(Mean(det_change) < -5);
  CHECK(Mean(imp_change) > 3);
}

TEST_CASE("synth: without measurement error an ORS series is exactly its truth", "[synth]") {
  // With ors_sem 0 every ORS is the expected curve rounded to tenths: an improver's never
  // falls, except into a marked dip; a deteriorator's never falls before the onset (flat without
  // an early improvement) and never rises after it.
  Options options;
  options.seed = 11;
  options.clients = 6000;
  options.parameters.series.ors_sem = 0;
  const varsam::synth::SeriesModel& model = options.parameters.series;
  auto generator = Make(options);
  std::size_t checked_dips = 0, checked_onsets = 0;
  for (std::size_t i = 0; i < options.clients; ++i) {
    const ClientRecord r = generator->MakeClient(i);
    for (const auto& c : r.cases) {
      if (!c.series_truth) continue;
      const varsam::synth::SeriesTruth& t = *c.series_truth;
      const std::vector<double> ors = SeriesOf(r, c);
      REQUIRE(!ors.empty());
      CHECK(ors[0] == Approx(std::round(t.true_intake * 10) / 10).margin(1e-9));
      for (std::size_t k = 2; k <= ors.size(); ++k) {  // session k, ors[k - 1]
        const int session = static_cast<int>(k);
        const double step = ors[k - 1] - ors[k - 2];
        INFO("case " << c.id << " session " << session);
        if (!t.deteriorating) {
          if (session != t.dip_session) CHECK(step >= 0);
        } else if (session <= t.onset_session) {
          if (t.early_improvement) {
            CHECK(step >= 0);
          } else {
            CHECK(step == 0);
          }
        } else {
          CHECK(step <= 0);
        }
      }
      if (t.dips && ors.size() >= static_cast<std::size_t>(t.dip_session + t.dip_length) &&
          ors[static_cast<std::size_t>(t.dip_session - 1)] > 0) {
        // Back on the curve after the dip: at least the dip's depth above its first session.
        const double in_dip = ors[static_cast<std::size_t>(t.dip_session - 1)];
        const double after = ors[static_cast<std::size_t>(t.dip_session + t.dip_length - 1)];
        CHECK(after - in_dip >= model.dip_depth_min - 0.1);
        ++checked_dips;
      }
      if (t.deteriorating && ors.size() > static_cast<std::size_t>(t.onset_session) &&
          ors[static_cast<std::size_t>(t.onset_session)] > 0) {
        CHECK(ors[static_cast<std::size_t>(t.onset_session)] <
              ors[static_cast<std::size_t>(t.onset_session - 1)]);
        ++checked_onsets;
      }
    }
  }
  CHECK(checked_dips > 100);
  CHECK(checked_onsets > 50);
}

TEST_CASE("synth: the series' shape changes the ORS and outcomes and nothing else", "[synth]") {
  // The onset, pace, dips and intake error come from a stream of their own (docs/synth.md,
  // "Determinism"): other parameters of them leave every other byte as it was.
  Options options;
  options.seed = 5;
  options.clients = 1500;
  auto plain = Make(options);
  options.parameters.series.onset_first = 1;
  options.parameters.series.dip_share = 0.9;
  options.parameters.series.dip_depth_min = 9;
  options.parameters.series.dip_depth_max = 12;
  options.parameters.series.deteriorator_ratio_min = 0.2;
  options.parameters.series.deteriorator_ratio_max = 0.3;
  auto other = Make(options);
  std::size_t differing_ors = 0;
  for (std::size_t i = 0; i < options.clients; ++i) {
    const ClientRecord a = plain->MakeClient(i);
    const ClientRecord b = other->MakeClient(i);
    REQUIRE(a.cases.size() == b.cases.size());
    for (std::size_t k = 0; k < a.cases.size(); ++k) {
      CHECK(a.cases[k].id == b.cases[k].id);
      CHECK(a.cases[k].closed == b.cases[k].closed);
      CHECK(a.cases[k].sessions == b.cases[k].sessions);
      CHECK((a.cases[k].outcome == "dropout") == (b.cases[k].outcome == "dropout"));
    }
    REQUIRE(a.measurements.size() == b.measurements.size());
    for (std::size_t k = 0; k < a.measurements.size(); ++k) {
      const auto& x = a.measurements[k];
      const auto& y = b.measurements[k];
      CHECK(x.instrument == y.instrument);
      CHECK(x.date == y.date);
      if (x.instrument == "ors" || x.instrument == "cors") {
        differing_ors += x.total != y.total;
      } else {
        CHECK(x.responses == y.responses);
      }
    }
    REQUIRE(a.notes.size() == b.notes.size());
    for (std::size_t k = 0; k < a.notes.size(); ++k) CHECK(a.notes[k].text == b.notes[k].text);
  }
  CHECK(differing_ors > 100);
}

TEST_CASE("synth: dropout is more likely after a low SRS", "[synth]") {
  // Every session but the last of a completed series is a chance to drop out; the last session
  // of a dropout is where it happened.
  std::size_t low = 0, low_dropped = 0, high = 0, high_dropped = 0;
  for (const ClientRecord& r : Population()) {
    for (const auto& c : r.cases) {
      if (c.kind != "insats" || c.sessions == 0) continue;
      std::vector<double> srs;
      for (const auto& m : r.measurements) {
        if (m.case_ref == c.id && m.instrument == "srs") srs.push_back(*m.total);
      }
      if (srs.empty()) continue;
      const bool dropout = c.outcome == "dropout";
      const bool completed = c.closed.has_value() && !dropout;
      for (std::size_t k = 0; k < srs.size(); ++k) {
        const bool last = k + 1 == srs.size();
        if (last && completed) break;  // the planned last session: no chance to drop out
        const bool dropped = last && dropout;
        if (srs[k] < 36) {
          ++low;
          low_dropped += dropped;
        } else {
          ++high;
          high_dropped += dropped;
        }
      }
    }
  }
  REQUIRE(low > 1000);
  REQUIRE(high > 1000);
  const double low_rate = static_cast<double>(low_dropped) / static_cast<double>(low);
  const double high_rate = static_cast<double>(high_dropped) / static_cast<double>(high);
  INFO("dropout after low SRS " << low_rate << ", after high " << high_rate);
  CHECK(low_rate == Approx(0.15).margin(0.03));
  CHECK(high_rate == Approx(0.04).margin(0.015));
  CHECK(low_rate > 2 * high_rate);
}

TEST_CASE("synth: reports and assessments are mostly about children", "[synth]") {
  std::map<std::string, std::pair<std::size_t, std::size_t>> by_kind;  // children, all
  std::size_t substance = 0, substance_adults = 0, aid = 0, aid_adults = 0;
  for (const ClientRecord& r : Population()) {
    for (const auto& c : r.cases) {
      auto& [children, all] = by_kind[c.kind];
      children += c.age_at_start < 18;
      ++all;
      if (c.kind != "insats") continue;
      if (c.intervention.rfind("missbruk_", 0) == 0) {
        ++substance;
        substance_adults += c.age_at_start >= 18;
      }
      if (c.intervention == "ekonomiskt_bistand") {
        ++aid;
        aid_adults += c.age_at_start >= 18;
      }
    }
  }
  for (std::string_view kind : varsam::store::kCaseKinds) {
    INFO(kind);
    CHECK(by_kind[std::string(kind)].second > 500);  // every kind is there
  }
  const auto share = [](std::pair<std::size_t, std::size_t> p) {
    return static_cast<double>(p.first) / static_cast<double>(p.second);
  };
  CHECK(share(by_kind["anmalan"]) > 0.75);
  CHECK(share(by_kind["forhandsbedomning"]) > 0.75);
  CHECK(share(by_kind["utredning"]) < 0.5);
  REQUIRE(substance > 500);
  CHECK(static_cast<double>(substance_adults) / static_cast<double>(substance) > 0.95);
  REQUIRE(aid > 500);
  CHECK(aid_adults == aid);
}

TEST_CASE("synth: municipalities follow their number of postal codes", "[synth]") {
  std::map<std::string, std::size_t> count;
  std::set<std::string> counties;
  for (const ClientRecord& r : Population()) {
    ++count[r.client.municipality_code];
    counties.insert(r.client.county_code);
    REQUIRE(r.client.county_code == r.client.municipality_code.substr(0, 2));
    REQUIRE(r.client.postal_code.size() == 5);
  }
  const double n = static_cast<double>(Population().size());
  // data/se-geo: Stockholm 1,479, Göteborg 729, Malmö 515 of 15,463 postal codes.
  CHECK(static_cast<double>(count["0180"]) / n == Approx(1479.0 / 15463).margin(0.008));
  CHECK(static_cast<double>(count["1480"]) / n == Approx(729.0 / 15463).margin(0.006));
  CHECK(static_cast<double>(count["1280"]) / n == Approx(515.0 / 15463).margin(0.005));
  CHECK(counties.size() == 21);
}

TEST_CASE("synth: forms are scored by the instrument registry", "[synth]") {
  std::map<std::string, std::size_t> count;
  std::size_t suicide_flag = 0;  // forms flagged, which are exactly those with item 9 >= 1
  for (const ClientRecord& r : Population()) {
    for (const auto& m : r.measurements) {
      ++count[m.instrument];
      REQUIRE(m.total.has_value());
      if (m.instrument == "phq9") {
        const bool item9 = m.responses[8] >= 1;
        const bool flag =
            std::find(m.flags.begin(), m.flags.end(), "suicide_risk_followup") != m.flags.end();
        REQUIRE(item9 == flag);
        suicide_flag += flag;
        REQUIRE(m.band.has_value());
      }
      if (m.instrument == "audit") {
        REQUIRE(m.band.has_value());  // sex is known, so the band is
        REQUIRE((m.responses[8] == 0 || m.responses[8] == 2 || m.responses[8] == 4));
      }
    }
  }
  for (const char* id : {"ors", "srs", "cors", "csrs", "audit", "dudit", "phq9", "gad7", "soc13"}) {
    INFO(id);
    CHECK(count[id] > 100);
  }
  CHECK(suicide_flag > 0);
}

TEST_CASE("synth: the notes' ground truth is exact", "[synth]") {
  Options options;
  options.seed = 5;
  options.clients = 3000;
  auto generator = Make(options);
  std::size_t notes = 0, spans = 0;
  std::map<SpanKind, std::size_t> kinds;
  std::set<std::string_view> forms;
  for (std::size_t i = 0; i < options.clients; ++i) {
    const ClientRecord r = generator->MakeClient(i);
    const auto& client = r.client;
    for (const auto& note : r.notes) {
      ++notes;
      REQUIRE(varsam::IsValidUtf8(note.text));
      std::size_t end = 0;
      std::vector<std::pair<std::size_t, std::size_t>> truth_numbers;
      for (const auto& span : note.spans) {
        ++spans;
        ++kinds[span.kind];
        REQUIRE(span.offset >= end);  // ascending, not overlapping
        REQUIRE(span.offset + span.length <= note.text.size());
        end = span.offset + span.length;
        const std::string_view text = std::string_view(note.text).substr(span.offset, span.length);
        switch (span.kind) {
          case SpanKind::kPersonnummer: {
            forms.insert(span.form);
            const auto check = varsam::ident::Check(text, options.reference_date);
            const bool space = text.find(' ') != std::string_view::npos;
            if (!space) {
              REQUIRE(check.ok());
              REQUIRE(check.number.normalized() == client.personnummer);
            }
            truth_numbers.emplace_back(span.offset, span.length);
            break;
          }
          case SpanKind::kName:
            // The client's names, or a relative's first name (with the client's surname).
            REQUIRE((text == client.first_name ||
                     text == varsam::Cat({client.first_name, " ", client.surname}) ||
                     text.find(' ') == std::string_view::npos ||
                     text.substr(text.find(' ') + 1) == client.surname));
            break;
          case SpanKind::kPhone: {
            std::string digits;
            for (char c : text) {
              if (c >= '0' && c <= '9') digits += c;
            }
            if (digits.rfind("46", 0) == 0) digits.replace(0, 2, "0");
            REQUIRE(digits.size() == 10);
            REQUIRE(digits.substr(0, 8) == "07017406");  // PTS: 070-174 06 05 … 99
            REQUIRE(std::stoi(digits.substr(8)) >= 5);
            break;
          }
          case SpanKind::kEmail:
            REQUIRE(text == client.email);
            REQUIRE((text.ends_with("@example.se") || text.ends_with("@example.com")));
            break;
          case SpanKind::kAddress: REQUIRE(text == client.street_address); break;
          case SpanKind::kPostalCode:
            REQUIRE(text == varsam::Cat({client.postal_code.substr(0, 3), " ",
                                         client.postal_code.substr(3)}));
            break;
        }
      }
      // varsam's own finder finds exactly the personnummer of the truth, no more, no less.
      std::vector<std::pair<std::size_t, std::size_t>> found;
      for (const auto& m : varsam::ident::FindAll(note.text, options.reference_date)) {
        REQUIRE(m.number.normalized() == client.personnummer);
        found.emplace_back(m.offset, m.length);
      }
      REQUIRE(found == truth_numbers);
    }
  }
  CHECK(notes > 3000);
  for (SpanKind kind : {SpanKind::kPersonnummer, SpanKind::kName, SpanKind::kPhone,
                        SpanKind::kEmail, SpanKind::kAddress, SpanKind::kPostalCode}) {
    INFO(varsam::synth::SpanKindName(kind));
    CHECK(kinds[kind] > 50);
  }
  CHECK(forms.count("YYYYMMDD-NNNN") == 1);
  CHECK(forms.count("YYMMDD-NNNN") == 1);
  CHECK(forms.count("YYYYMMDDNNNN") == 1);
  CHECK(forms.count("YYMMDD NNNN") == 1);
  CHECK(forms.count("YYYYMMDD NNNN") == 1);
}

TEST_CASE("synth: identifier_rate sets how often a note names the client", "[synth]") {
  Options options;
  options.seed = 9;
  options.clients = 300;
  options.parameters.notes.identifier_rate = 0;
  auto none = Make(options);
  options.parameters.notes.identifier_rate = 1;
  auto all = Make(options);
  for (std::size_t i = 0; i < options.clients; ++i) {
    for (const auto& note : none->MakeClient(i).notes) REQUIRE(note.spans.empty());
    for (const auto& note : all->MakeClient(i).notes) REQUIRE(!note.spans.empty());
  }
}

TEST_CASE("synth: CSV files follow the documented schema", "[synth]") {
  Options options;
  options.seed = 13;
  options.clients = 500;
  TempDir dir;
  auto generator = Make(options);
  auto sink = varsam::synth::CsvSink(dir.path().string());
  REQUIRE(sink.ok());
  const auto summary = generator->Run(**sink);
  REQUIRE(summary.ok());
  CHECK(summary->clients == 500);

  const auto clients = ParseCsv(ReadFile(dir.path() / "clients.csv"));
  const auto cases = ParseCsv(ReadFile(dir.path() / "cases.csv"));
  const auto measurements = ParseCsv(ReadFile(dir.path() / "measurements.csv"));
  const auto notes = ParseCsv(ReadFile(dir.path() / "notes.csv"));
  const auto truth = ParseCsv(ReadFile(dir.path() / "notes_truth.csv"));
  CHECK(clients[0] == std::vector<std::string>{"client_id", "personnummer", "sex", "birth_date",
                                               "first_name", "surname", "street_address",
                                               "postal_code", "locality", "municipality_code",
                                               "county_code", "phone", "email"});
  CHECK(cases[0] == std::vector<std::string>{"case_id", "client_id", "case_kind", "intervention",
                                             "opened", "closed", "age_at_start", "sessions",
                                             "outcome"});
  CHECK(measurements[0] == std::vector<std::string>{"client_id", "case_id", "case_kind",
                                                    "instrument", "session", "date", "responses",
                                                    "total", "band", "flags"});
  CHECK(notes[0] == std::vector<std::string>{"note_id", "client_id", "case_id", "date", "text"});
  CHECK(truth[0] ==
        std::vector<std::string>{"note_id", "offset", "length", "kind", "form", "text"});
  CHECK(clients.size() == summary->clients + 1);
  CHECK(cases.size() == summary->cases + 1);
  CHECK(measurements.size() == summary->measurements + 1);
  CHECK(notes.size() == summary->notes + 1);
  CHECK(truth.size() == summary->identifiers + 1);
  for (const auto& row : clients) REQUIRE(row.size() == 13);
  for (const auto& row : cases) REQUIRE(row.size() == 9);
  for (const auto& row : measurements) REQUIRE(row.size() == 10);

  // Every truth row's text is the note's bytes at its offset.
  std::map<std::string, std::string> text_of;
  for (std::size_t i = 1; i < notes.size(); ++i) text_of[notes[i][0]] = notes[i][4];
  for (std::size_t i = 1; i < truth.size(); ++i) {
    const auto& row = truth[i];
    REQUIRE(row.size() == 6);
    const std::string& text = text_of.at(row[0]);
    REQUIRE(text.substr(std::stoul(row[1]), std::stoul(row[2])) == row[5]);
  }
}

TEST_CASE("synth: options out of range are refused", "[synth]") {
  Options options;
  options.parameters.notes.identifier_rate = 1.5;
  CHECK(Generator::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options = Options();
  options.parameters.series.sessions_min = 9;
  options.parameters.series.sessions_max = 3;
  CHECK(Generator::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options = Options();
  options.parameters.cases.adult_interventions = {{"trolleri", 1.0}};
  CHECK(Generator::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options = Options();
  options.parameters.series.dip_session_min = 1;  // session 1 is the intake
  CHECK(Generator::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options = Options();
  options.parameters.series.deteriorator_ratio_max = 1;
  CHECK(Generator::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options = Options();
  options.parameters.series.ors_sem = -1;
  CHECK(Generator::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options = Options();
  options.parameters.series.onset_first = 1.2;
  CHECK(Generator::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options = Options();
  options.parameters.truth.new_case_months = 5;
  CHECK(Generator::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options = Options();
  options.parameters.truth.dropout.male = std::nan("");
  CHECK(Generator::Create(options).status().code() == absl::StatusCode::kInvalidArgument);
  options = Options();
  options.test_number_file = "/nonexistent/varsam-test-numbers.txt";
  CHECK(Generator::Create(options).status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("synth: the ground truth's effects are the documented coefficients", "[synth]") {
  // Expected values from the table in docs/synth.md, "The ground truth for models".
  const varsam::synth::LogisticTruth dropout = varsam::synth::DefaultDropoutTruth();
  CHECK(dropout.Effect("age_band", "15-19") == 0.6);
  CHECK(dropout.Effect("age_band", "20-24") == 0.6);
  CHECK(dropout.Effect("age_band", "25-29") == 0.3);
  CHECK(dropout.Effect("age_band", "35-39") == 0.0);
  CHECK(dropout.Effect("age_band", "45-49") == 0.0);
  CHECK(dropout.Effect("age_band", "50-54") == -0.4);
  CHECK(dropout.Effect("age_band", "65-69") == -0.8);
  CHECK(dropout.Effect("age_band", "100+") == -0.8);
  CHECK(dropout.Effect("sex", "male") == 0.3);
  CHECK(dropout.Effect("sex", "female") == 0.0);
  CHECK(dropout.Effect("intervention", "missbruk_institution") == 0.5);
  CHECK(dropout.Effect("intervention", "boendestod") == 0.0);
  CHECK(dropout.Effect("intake_band:phq9", "severe") == 1.1);
  CHECK(dropout.Effect("intake_band:phq9", "(missing)") == 0.7);
  CHECK(dropout.Effect("intake_band:gad7", "severe") == 0.0);
  CHECK(dropout.Effect("earlier_episodes", "3+") == 0.9);
  CHECK(dropout.Effect("region", "01") == 0.0);
  const varsam::synth::TruthFeatures f{"25-29", "male", "stodsamtal", "moderate", "1"};
  CHECK(dropout.LogOdds(f) == Approx(-1.9 + 0.3 + 0.3 - 0.4 + 0.5 + 0.3));
  CHECK(dropout.Probability(f) == Approx(1 / (1 + std::exp(0.9))));
  const varsam::synth::LogisticTruth new_case = varsam::synth::DefaultNewCaseTruth();
  CHECK(new_case.LogOdds(f) == Approx(-1.2 + 0.2 + 0.2 - 0.5 + 0.4 + 0.4));
  CHECK(new_case.Effect("intervention", "ekonomiskt_bistand") == 0.3);
  CHECK(new_case.Effect("earlier_episodes", "2") == 0.8);
}

namespace {
// Among `draws` (true probability, what happened), by fifths of the probability: the observed
// rate lies within four binomial standard errors of the mean true probability.
void CheckCalibrated(std::vector<std::pair<double, bool>> draws) {
  REQUIRE(draws.size() > 2000);
  std::sort(draws.begin(), draws.end());
  const std::size_t fifth = draws.size() / 5;
  for (std::size_t b = 0; b < 5; ++b) {
    const std::size_t from = b * fifth;
    const std::size_t to = b == 4 ? draws.size() : from + fifth;
    double p = 0, observed = 0;
    for (std::size_t i = from; i < to; ++i) {
      p += draws[i].first;
      observed += draws[i].second ? 1 : 0;
    }
    const auto n = static_cast<double>(to - from);
    p /= n;
    observed /= n;
    INFO("fifth " << b << ": mean true probability " << p << ", observed " << observed);
    CHECK(std::abs(observed - p) <= 4 * std::sqrt(p * (1 - p) / n));
  }
  CHECK(draws.front().first < draws.back().first - 0.2);
}
}  // namespace

TEST_CASE("synth: with the ground truth, dropout and new cases follow it", "[synth]") {
  Options options;
  options.seed = 3;
  options.clients = 30000;
  options.parameters.truth.enabled = true;
  options.parameters.cases.start_days_before_min = 730;
  options.parameters.cases.start_days_before_max = 1825;
  auto generator = Generator::Create(options);
  REQUIRE(generator.ok());
  // Interventions that started by this day have ended (at most 365 days), and their window of
  // nine months after, before the reference date: neither draw can be cut off by it.
  const Date seen = options.reference_date - 365 - 280;
  std::vector<std::pair<double, bool>> dropout, new_case;
  std::size_t later_chains = 0;
  for (std::size_t i = 0; i < options.clients; ++i) {
    const ClientRecord r = (*generator)->MakeClient(i);
    for (std::size_t k = 0; k < r.cases.size(); ++k) {
      const auto& c = r.cases[k];
      CHECK(c.kind != "uppfoljning");  // a follow-up would be a new case the truth did not draw
      if (k > 0 && c.chain != r.cases[k - 1].chain) {
        // A new chain follows the last one's intervention, and starts with an investigation.
        CHECK(c.chain == r.cases[k - 1].chain + 1);
        CHECK(c.kind == "utredning");
        REQUIRE(r.cases[k - 1].kind == "insats");
        REQUIRE(r.cases[k - 1].closed.has_value());
        CHECK(c.opened > *r.cases[k - 1].closed);
        CHECK(c.opened - *r.cases[k - 1].closed < 365);
        ++later_chains;
      }
      if (c.kind != "insats") {
        CHECK_FALSE(c.true_dropout.has_value());
        CHECK_FALSE(c.true_new_case.has_value());
        continue;
      }
      REQUIRE(c.truth_features.has_value());
      if (c.opened > seen) continue;
      REQUIRE(c.closed.has_value());
      if (c.true_dropout) dropout.emplace_back(*c.true_dropout, c.outcome == "dropout");
      REQUIRE(c.true_new_case.has_value());
      const bool again = k + 1 < r.cases.size();
      new_case.emplace_back(*c.true_new_case, again);
    }
  }
  CHECK(later_chains > 1000);
  CheckCalibrated(dropout);
  CheckCalibrated(new_case);

  // Without the truth, nothing of it is set and every client has one chain.
  options.parameters.truth.enabled = false;
  auto plain = Generator::Create(options);
  REQUIRE(plain.ok());
  for (std::size_t i = 0; i < 2000; ++i) {
    for (const auto& c : (*plain)->MakeClient(i).cases) {
      CHECK(c.chain == 0);
      CHECK_FALSE(c.truth_features.has_value());
      CHECK_FALSE(c.true_dropout.has_value());
      CHECK_FALSE(c.true_new_case.has_value());
    }
  }
}

TEST_CASE("synth: the store receives every measurement", "[synth]") {
  TempDir dir;
  auto store = varsam::store::Store::Open((dir.path() / "store").string());
  REQUIRE(store.ok());
  Options options;
  options.seed = 17;
  options.clients = 300;
  auto generator = Make(options);
  auto sink = varsam::synth::StoreSink(store->get(), /*batch=*/250);
  const auto summary = generator->Run(*sink);
  REQUIRE(summary.ok());
  std::size_t rows = 0;
  std::set<std::string> clients;
  REQUIRE((*store)
              ->ForEachMeasurement({},
                                   [&](const varsam::store::Measurement& m) {
                                     ++rows;
                                     clients.insert(m.client_ref);
                                     return true;
                                   })
              .ok());
  CHECK(rows == summary->measurements);
  // One client's measurements read back as they were made.
  const ClientRecord r = generator->MakeClient(42);
  varsam::store::MeasurementFilter filter;
  filter.client_ref = r.client.id;
  std::size_t matched = 0;
  REQUIRE((*store)
              ->ForEachMeasurement(filter,
                                   [&](const varsam::store::Measurement& m) {
                                     const auto it = std::find_if(
                                         r.measurements.begin(), r.measurements.end(),
                                         [&](const varsam::store::Measurement& x) {
                                           return x.case_ref == m.case_ref &&
                                                  x.instrument == m.instrument &&
                                                  x.session == m.session && x.date == m.date;
                                         });
                                     if (it != r.measurements.end() && it->total == m.total &&
                                         it->responses == m.responses) {
                                       ++matched;
                                     }
                                     return true;
                                   })
              .ok());
  CHECK(matched == r.measurements.size());
}
