// The synthetic population: clients, case chains, instrument forms and ORS/SRS series
// (docs/synth.md states every parameter and where its default comes from).

#include "varsam/synth.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "names.h"
#include "notes.h"
#include "rng.h"
#include "varsam/geo.h"
#include "varsam/instruments.h"

namespace varsam::synth {

std::vector<std::string> FirstNames() {
  std::vector<std::string> out;
  for (const ident::Sex sex : {ident::Sex::kFemale, ident::Sex::kMale}) {
    for (const std::string_view name : internal::FirstNames(sex)) out.emplace_back(name);
  }
  return out;
}

namespace in = internal;
namespace ins = instruments;

std::string_view SpanKindName(SpanKind kind) {
  switch (kind) {
    case SpanKind::kPersonnummer: return "personnummer";
    case SpanKind::kName: return "name";
    case SpanKind::kPhone: return "phone";
    case SpanKind::kEmail: return "email";
    case SpanKind::kAddress: return "address";
    case SpanKind::kPostalCode: return "postal_code";
  }
  return "name";
}

namespace {

// Interventions delivered in sessions get an ORS/SRS (CORS/CSRS) series.
bool HasSessions(std::string_view intervention) {
  return intervention == "familjebehandling" || intervention == "missbruk_oppenvard" ||
         intervention == "missbruk_institution" || intervention == "stodsamtal";
}

bool IsSubstanceUse(std::string_view intervention) {
  return intervention == "missbruk_oppenvard" || intervention == "missbruk_institution";
}

std::string_view InterventionLabel(std::string_view id) {
  static constexpr std::pair<std::string_view, std::string_view> kLabels[] = {
      {"missbruk_oppenvard", "missbruksvård i öppenvård"},
      {"missbruk_institution", "missbruksvård på institution"},
      {"ekonomiskt_bistand", "ekonomiskt bistånd"},
      {"familjebehandling", "familjebehandling"},
      {"kontaktperson", "kontaktperson"},
      {"boendestod", "boendestöd"},
      {"placering_familjehem", "placering i familjehem"},
      {"placering_hvb", "placering på HVB"},
      {"stodsamtal", "stödsamtal"},
      {"arbetstraning", "arbetsträning"}};
  for (const auto& [key, label] : kLabels) {
    if (key == id) return label;
  }
  return "insatsen";
}

int AgeOn(Date birth, Date day) {
  int age = static_cast<int>(day.year() - birth.year());
  if (day.month() < birth.month() || (day.month() == birth.month() && day.day() < birth.day())) {
    --age;
  }
  return age;
}

std::string ClientId(std::size_t index) {
  std::string digits = std::to_string(index);
  if (digits.size() < 7) digits.insert(0, 7 - digits.size(), '0');
  return Cat({"K", digits});
}

double Clip(double x, double lo, double hi) { return std::min(hi, std::max(lo, x)); }

// The embedded official test numbers (Skatteverket's list, embedded by src/ident).
std::vector<ident::IdentityNumber> EmbeddedTestNumbers() {
  std::vector<ident::IdentityNumber> out;
  out.reserve(ident::OfficialTestNumberCount());
  ident::ForEachOfficialTestNumber([&](const ident::IdentityNumber& n) { out.push_back(n); });
  return out;
}

absl::StatusOr<std::vector<ident::IdentityNumber>> FileTestNumbers(const std::string& path) {
  std::ifstream file(path);
  if (!file) return absl::NotFoundError("synth: cannot open the test-number file");
  std::vector<ident::IdentityNumber> out;
  std::string line;
  std::size_t line_no = 0;
  while (std::getline(file, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const ident::CheckResult r = ident::Check(line, Date());
    if (line.size() != 12 || !r.ok() || !r.number.official_test_number) {
      return absl::InvalidArgumentError(
          Cat({"synth: test-number file line ", std::to_string(line_no),
               " is not an official test number"}));
    }
    out.push_back(r.number);
  }
  return out;
}

absl::Status CheckProbability(double p, std::string_view name) {
  if (!(p >= 0 && p <= 1)) {
    return absl::InvalidArgumentError(Cat({"synth: ", name, " must be a probability 0..1"}));
  }
  return absl::OkStatus();
}

absl::Status CheckRange(double lo, double hi, std::string_view name) {
  if (!(std::isfinite(lo) && std::isfinite(hi) && lo <= hi)) {
    return absl::InvalidArgumentError(Cat({"synth: ", name, ": min must not exceed max"}));
  }
  return absl::OkStatus();
}

absl::Status CheckWeights(const std::vector<std::pair<std::string, double>>& weights,
                          std::string_view name) {
  const auto vocabulary = store::RegisterVocabulary::Default().interventions;
  double total = 0;
  for (const auto& [id, w] : weights) {
    if (std::find(vocabulary.begin(), vocabulary.end(), id) == vocabulary.end()) {
      return absl::InvalidArgumentError(Cat({"synth: ", name, ": unknown intervention"}));
    }
    if (!(w >= 0 && std::isfinite(w))) {
      return absl::InvalidArgumentError(Cat({"synth: ", name, ": weights must be >= 0"}));
    }
    total += w;
  }
  if (!(total > 0)) return absl::InvalidArgumentError(Cat({"synth: ", name, ": no weight"}));
  return absl::OkStatus();
}

absl::Status Validate(const Options& o) {
  const CaseMix& c = o.parameters.cases;
  const SeriesModel& s = o.parameters.series;
  const std::pair<double, std::string_view> probabilities[] = {
      {c.child_report, "child_report"},
      {c.child_report_to_assessment, "child_report_to_assessment"},
      {c.child_assessment_to_investigation, "child_assessment_to_investigation"},
      {c.child_investigation_to_intervention, "child_investigation_to_intervention"},
      {c.adult_report, "adult_report"},
      {c.adult_report_to_assessment, "adult_report_to_assessment"},
      {c.adult_assessment_to_investigation, "adult_assessment_to_investigation"},
      {c.adult_investigation_to_intervention, "adult_investigation_to_intervention"},
      {c.intervention_to_follow_up, "intervention_to_follow_up"},
      {c.teen_substance_use, "teen_substance_use"},
      {s.deteriorating, "deteriorating"},
      {s.onset_first, "onset_first"},
      {s.early_improvement, "early_improvement"},
      {s.dip_share, "dip_share"},
      {s.dip_two_sessions, "dip_two_sessions"},
      {s.dropout_low_srs, "dropout_low_srs"},
      {s.dropout_high_srs, "dropout_high_srs"},
      {o.parameters.notes.identifier_rate, "identifier_rate"}};
  for (const auto& [p, name] : probabilities) VARSAM_RETURN_IF_ERROR(CheckProbability(p, name));
  VARSAM_RETURN_IF_ERROR(CheckWeights(c.child_interventions, "child_interventions"));
  VARSAM_RETURN_IF_ERROR(CheckWeights(c.adult_interventions, "adult_interventions"));
  VARSAM_RETURN_IF_ERROR(
      CheckRange(c.start_days_before_min, c.start_days_before_max, "start_days_before"));
  if (c.start_days_before_min < 0) {
    return absl::InvalidArgumentError("synth: start_days_before_min must be >= 0");
  }
  VARSAM_RETURN_IF_ERROR(CheckRange(s.gain_fraction_min, s.gain_fraction_max, "gain_fraction"));
  VARSAM_RETURN_IF_ERROR(CheckRange(s.deterioration_min, s.deterioration_max, "deterioration"));
  VARSAM_RETURN_IF_ERROR(
      CheckRange(s.deteriorator_ratio_min, s.deteriorator_ratio_max, "deteriorator_ratio"));
  VARSAM_RETURN_IF_ERROR(CheckRange(s.onset_later_min, s.onset_later_max, "onset_later"));
  VARSAM_RETURN_IF_ERROR(CheckRange(s.dip_session_min, s.dip_session_max, "dip_session"));
  VARSAM_RETURN_IF_ERROR(CheckRange(s.dip_depth_min, s.dip_depth_max, "dip_depth"));
  if (s.onset_later_min < 1 || s.dip_session_min < 2) {
    return absl::InvalidArgumentError(
        "synth: onset_later_min must be >= 1 and dip_session_min >= 2");
  }
  VARSAM_RETURN_IF_ERROR(CheckRange(s.sessions_min, s.sessions_max, "sessions"));
  VARSAM_RETURN_IF_ERROR(CheckRange(s.session_interval_min_days, s.session_interval_max_days,
                                    "session_interval_days"));
  if (s.sessions_min < 1 || s.session_interval_min_days < 1) {
    return absl::InvalidArgumentError("synth: sessions and session intervals must be >= 1");
  }
  const std::pair<double, std::string_view> non_negative[] = {
      {s.intake_sd, "intake_sd"},
      {s.ors_sem, "ors_sem"},
      {s.alliance_sd, "alliance_sd"},
      {s.srs_noise_sd, "srs_noise_sd"},
      {s.improver_ratio, "improver_ratio"},
      {s.deteriorator_ratio_min, "deteriorator_ratio_min"},
      {s.deterioration_min, "deterioration_min"},
      {s.dip_depth_min, "dip_depth_min"}};
  for (const auto& [v, name] : non_negative) {
    if (!(v >= 0 && std::isfinite(v))) {
      return absl::InvalidArgumentError(Cat({"synth: ", name, " must be >= 0"}));
    }
  }
  if (s.improver_ratio >= 1 || s.deteriorator_ratio_max >= 1) {
    return absl::InvalidArgumentError("synth: the session ratios must be below 1");
  }
  if (!std::isfinite(s.intake_mean) || !std::isfinite(s.deteriorator_alliance) ||
      !std::isfinite(s.srs_cutoff)) {
    return absl::InvalidArgumentError("synth: series parameters must be finite");
  }
  if (o.parameters.notes.sessions_per_note < 1) {
    return absl::InvalidArgumentError("synth: sessions_per_note must be >= 1");
  }
  const GroundTruth& truth = o.parameters.truth;
  if (truth.new_case_months < 6 || truth.new_case_months > 120) {
    return absl::InvalidArgumentError("synth: truth.new_case_months must be 6..120");
  }
  for (const LogisticTruth* t : {&truth.dropout, &truth.new_case}) {
    bool finite = std::isfinite(t->intercept) && std::isfinite(t->male);
    for (const auto& [from, e] : t->age) finite = finite && std::isfinite(e) && from >= 0;
    for (const auto& [id, e] : t->interventions) finite = finite && std::isfinite(e);
    for (const auto& [id, e] : t->intake_bands) finite = finite && std::isfinite(e);
    for (const double e : t->earlier) finite = finite && std::isfinite(e);
    if (!finite) {
      return absl::InvalidArgumentError("synth: truth coefficients must be finite numbers");
    }
  }
  if (o.max_age < 0 || o.max_age > ins::kMaxAge) {
    return absl::InvalidArgumentError("synth: max_age must be 0..150");
  }
  return absl::OkStatus();
}

}  // namespace

// ---- The generator's state ------------------------------------------------------------------

struct internal::GeneratorState {  // NOLINT: declared in synth.h
  Options options;
  std::vector<ident::IdentityNumber> numbers;  // shuffled, cut to the cycle
  const geo::Geography* geo = nullptr;
  std::vector<double> geo_cumulative;
  std::vector<double> child_weights, adult_weights;
  const ins::Instrument* ors = nullptr;
  const ins::Instrument* srs = nullptr;
  const ins::Instrument* cors = nullptr;
  const ins::Instrument* csrs = nullptr;
  const ins::Instrument* audit = nullptr;
  const ins::Instrument* dudit = nullptr;
  const ins::Instrument* phq9 = nullptr;
  const ins::Instrument* gad7 = nullptr;
  const ins::Instrument* soc13 = nullptr;
};

Generator::Generator(std::unique_ptr<internal::GeneratorState> state) : state_(std::move(state)) {}
Generator::~Generator() = default;

const Options& Generator::options() const { return state_->options; }
std::size_t Generator::cycle_length() const { return state_->numbers.size(); }

absl::StatusOr<std::unique_ptr<Generator>> Generator::Create(const Options& options) {
  VARSAM_RETURN_IF_ERROR(Validate(options));
  auto state = std::make_unique<internal::GeneratorState>();
  state->options = options;

  std::vector<ident::IdentityNumber> all;
  if (options.test_number_file.empty()) {
    all = EmbeddedTestNumbers();
  } else {
    VARSAM_ASSIGN_OR_RETURN(all, FileTestNumbers(options.test_number_file));
  }
  for (const ident::IdentityNumber& n : all) {
    if (n.birth_date > options.reference_date) continue;
    if (AgeOn(n.birth_date, options.reference_date) > options.max_age) continue;
    state->numbers.push_back(n);
  }
  if (state->numbers.empty()) {
    return absl::FailedPreconditionError("synth: no official test number fits max_age");
  }
  // A seeded Fisher–Yates shuffle (stream 0 of the seed; clients use streams 1, 2, ...).
  in::Rng rng(options.seed, 0);
  for (std::size_t i = state->numbers.size() - 1; i > 0; --i) {
    std::swap(state->numbers[i], state->numbers[rng.Below(i + 1)]);
  }
  if (options.cycle_limit > 0 && options.cycle_limit < state->numbers.size()) {
    state->numbers.resize(options.cycle_limit);
  }

  VARSAM_ASSIGN_OR_RETURN(state->geo, geo::Embedded());
  // A municipality's number of postal codes is the population proxy it is drawn by
  // (docs/synth.md).
  double sum = 0;
  for (const geo::Municipality& m : state->geo->municipalities) {
    state->geo_cumulative.push_back(sum += static_cast<double>(m.postal_codes.size()));
  }
  for (const auto& [id, w] : options.parameters.cases.child_interventions) {
    state->child_weights.push_back(w);
  }
  for (const auto& [id, w] : options.parameters.cases.adult_interventions) {
    state->adult_weights.push_back(w);
  }

  const ins::Registry& registry = ins::Registry::Global();
  const std::pair<const ins::Instrument**, std::string_view> wanted[] = {
      {&state->ors, "ors"},   {&state->srs, "srs"},     {&state->cors, "cors"},
      {&state->csrs, "csrs"}, {&state->audit, "audit"}, {&state->dudit, "dudit"},
      {&state->phq9, "phq9"}, {&state->gad7, "gad7"},   {&state->soc13, "soc13"}};
  for (const auto& [slot, id] : wanted) {
    VARSAM_ASSIGN_OR_RETURN(*slot, registry.Get(id));
  }
  return std::unique_ptr<Generator>(new Generator(std::move(state)));
}

// ---- One client -----------------------------------------------------------------------------

namespace {

class ClientMaker {
 public:
  ClientMaker(const internal::GeneratorState& st, std::size_t index)
      : st_(st),
        o_(st.options),
        p_(st.options.parameters),
        rng_(st.options.seed, static_cast<std::uint64_t>(index) + 1),
        series_rng_(st.options.seed, (static_cast<std::uint64_t>(index) + 1) | kSeriesStreams),
        index_(index) {}

  ClientRecord Make() {
    MakeClient();
    MakeCases();
    return std::move(record_);
  }

 private:
  void MakeClient() {
    Client& c = record_.client;
    number_ = &st_.numbers[index_ % st_.numbers.size()];
    c.id = ClientId(index_);
    c.personnummer = std::string(number_->normalized());
    c.sex = number_->sex;
    c.birth_date = number_->birth_date;
    c.first_name = std::string(rng_.Pick(in::FirstNames(c.sex)));
    c.surname = std::string(rng_.Pick(in::Surnames()));
    const double x = rng_.Uniform() * st_.geo_cumulative.back();
    std::size_t m = static_cast<std::size_t>(
        std::upper_bound(st_.geo_cumulative.begin(), st_.geo_cumulative.end(), x) -
        st_.geo_cumulative.begin());
    m = std::min(m, st_.geo->municipalities.size() - 1);
    municipality_ = &st_.geo->municipalities[m];
    const geo::PostalCode& postal =
        st_.geo->postal_codes[municipality_
                                  ->postal_codes[rng_.Below(municipality_->postal_codes.size())]];
    c.street_address = in::StreetAddress(rng_);
    c.postal_code = postal.code;
    c.locality = postal.locality;
    c.municipality_code = municipality_->code;
    c.county_code = municipality_->county_code;
    c.phone = in::PhoneNumber(in::FictionPhoneSuffix(rng_));
    c.email = in::EmailAddress(c.first_name, c.surname, rng_);
  }

  // The chains of cases (CaseMix): one, or with the ground truth one more after each new case
  // the truth drew.
  void MakeCases() {
    const CaseMix& mix = p_.cases;
    const Date ref = o_.reference_date;
    Date start = ref - rng_.Between(mix.start_days_before_min, mix.start_days_before_max);
    const Date earliest = record_.client.birth_date + 14;
    if (start < earliest) start = earliest;
    if (start > ref) return;  // born too recently for a case
    constexpr int kMaxChains = 16;
    for (int chain = 0; chain < kMaxChains; ++chain) {
      const std::optional<Date> again = MakeChain(start, chain);
      if (!again || *again > ref) break;
      start = *again;
    }
  }

  // One chain starting on `start`; returns the start of the next chain when the ground truth
  // drew a new case after its intervention.
  std::optional<Date> MakeChain(Date start, int chain_index) {
    const CaseMix& mix = p_.cases;
    const bool truth = p_.truth.enabled;
    const Date ref = o_.reference_date;
    const bool child = AgeOn(record_.client.birth_date, start) < 18;
    investigated_.push_back(false);

    std::vector<std::string_view> chain;
    // The truth's new case (a chain after the first) is one the register holds: an
    // investigation, never a report (one that led to none would never reach it, rule
    // reports-stay-out).
    const bool report =
        chain_index == 0 && (child ? rng_.Chance(mix.child_report) : rng_.Chance(mix.adult_report));
    if (report) {
      chain.push_back("anmalan");
      if (rng_.Chance(child ? mix.child_report_to_assessment : mix.adult_report_to_assessment)) {
        chain.push_back("forhandsbedomning");
        if (rng_.Chance(child ? mix.child_assessment_to_investigation
                              : mix.adult_assessment_to_investigation)) {
          chain.push_back("utredning");
        }
      }
    } else {
      chain.push_back("utredning");  // an application
    }
    if (chain.back() == "utredning" &&
        rng_.Chance(child ? mix.child_investigation_to_intervention
                          : mix.adult_investigation_to_intervention)) {
      chain.push_back("insats");
      // With the truth, what follows an intervention is the truth's new case, never a planned
      // follow-up (which would be a new case the truth did not draw).
      if (!truth && rng_.Chance(mix.intervention_to_follow_up)) chain.push_back("uppfoljning");
    }

    Date next = start;
    std::string intervention;
    std::optional<Date> again;
    for (std::size_t k = 0; k < chain.size(); ++k) {
      Case c;
      c.kind = std::string(chain[k]);
      if (c.kind == "uppfoljning") next = next + rng_.Between(30, 90);
      if (next > ref) break;
      c.id = Cat({record_.client.id, "-", std::to_string(record_.cases.size() + 1)});
      c.client_id = record_.client.id;
      c.opened = next;
      c.age_at_start = AgeOn(record_.client.birth_date, next);
      c.chain = chain_index;
      if (c.kind == "utredning") investigated_.back() = true;
      if (c.kind == "insats") {
        intervention = PickIntervention(c.age_at_start);
        c.intervention = intervention;
        next = Intervention(c);
        if (truth && c.closed) again = NewCase(c);
      } else {
        if (c.kind == "uppfoljning") c.intervention = intervention;
        Date end = next;
        if (c.kind == "anmalan") {
          end = next + rng_.Between(0, 3);
        } else if (c.kind == "forhandsbedomning") {
          end = next + rng_.Between(1, 14);  // SoL: assessed within 14 days
        } else if (c.kind == "utredning") {
          end = next + rng_.Between(30, 120);  // SoL: within four months
        } else {
          end = next + rng_.Between(1, 30);
        }
        if (end <= ref) {
          c.closed = end;
          c.outcome = "completed";
        }
        Notes(c, {});
        next = end + (c.kind == "utredning" ? rng_.Between(0, 21) : 0);
      }
      const bool open = !c.closed.has_value();
      record_.cases.push_back(std::move(c));
      if (open) break;
    }
    return again;
  }

  // ---- The ground truth -----------------------------------------------------------------------

  static int QuarterOf(Date day) {
    return static_cast<int>(day.year()) * 4 + (static_cast<int>(day.month()) - 1) / 3;
  }

  // Whether a case of the client reaches the register: a report or a preliminary assessment
  // only when its chain led to an investigation (rule reports-stay-out).
  bool InRegister(const Case& c) const {
    if (c.kind != "anmalan" && c.kind != "forhandsbedomning") return true;
    return investigated_[static_cast<std::size_t>(c.chain)];
  }

  // The features of intervention `c`'s register episode (the case is not yet in record_.cases;
  // its intake forms are).
  TruthFeatures FeaturesOf(const Case& c) const {
    TruthFeatures f;
    const int lo = c.age_at_start / 5 * 5;
    f.age_band = c.age_at_start >= 100 ? std::string("100+")
                                       : Cat({std::to_string(lo), "-", std::to_string(lo + 4)});
    f.sex = record_.client.sex == ident::Sex::kFemale ? "female" : "male";
    f.intervention = c.intervention.empty() ? std::string("none") : c.intervention;
    f.intake_band = "(missing)";
    for (const store::Measurement& m : record_.measurements) {
      if (m.case_ref == c.id && m.instrument == kTruthInstrument && m.date == c.opened) {
        f.intake_band = m.band.value_or("(no band)");
        break;
      }
    }
    int earlier = 0;
    for (const Case& other : record_.cases) {
      if (InRegister(other) && QuarterOf(other.opened) < QuarterOf(c.opened)) ++earlier;
    }
    f.earlier_episodes = earlier >= 3 ? std::string("3+") : std::to_string(earlier);
    return f;
  }

  // Draws whether a closed intervention is followed by a new case within new_case_months, and
  // if so, the start of the new chain: a day in one of the next new_case_months / 3 - 1
  // quarters after the one the intervention ended in, so that it lies within the window however
  // the register's periods are read.
  std::optional<Date> NewCase(Case& c) {
    if (!c.truth_features) c.truth_features = FeaturesOf(c);
    const double p = p_.truth.new_case.Probability(*c.truth_features);
    c.true_new_case = p;
    if (!rng_.Chance(p)) return std::nullopt;
    const int quarters = std::max(1, p_.truth.new_case_months / 3 - 1);
    const int q = QuarterOf(*c.closed) + rng_.Between(1, quarters);
    const Date first(q / 4, q % 4 * 3 + 1, 1);
    const Date after((q + 1) / 4, (q + 1) % 4 * 3 + 1, 1);
    return first + rng_.Between(0, static_cast<int>(after - first) - 1);
  }

  std::string PickIntervention(int age) {
    const CaseMix& mix = p_.cases;
    if (age >= 18) {
      return mix.adult_interventions[rng_.Weighted(st_.adult_weights)].first;
    }
    if (age >= 15 && rng_.Chance(mix.teen_substance_use)) return "missbruk_oppenvard";
    return mix.child_interventions[rng_.Weighted(st_.child_weights)].first;
  }

  // ---- Forms ----------------------------------------------------------------------------------

  ins::Respondent RespondentOn(Date day, std::optional<double> previous = std::nullopt) const {
    ins::Respondent r;
    r.sex = record_.client.sex;
    r.age = std::clamp(AgeOn(record_.client.birth_date, day), 0, ins::kMaxAge);
    r.previous_total = previous;
    return r;
  }

  // Scores `responses` and appends the measurement; returns its total (none when not scored).
  std::optional<double> Add(const Case& c, const ins::Instrument* instrument, int session, Date day,
                            std::vector<double> responses,
                            std::optional<double> previous = std::nullopt) {
    ins::FormScore score;
    const absl::Status status =
        instrument->ScoreForm(responses, RespondentOn(day, previous), &score);
    store::Measurement m;
    m.client_ref = record_.client.id;
    m.case_ref = c.id;
    m.case_kind = c.kind;
    m.instrument = instrument->id();
    m.session = session;
    m.date = day;
    m.responses = std::move(responses);
    if (status.ok() && score.scored()) {
      m.total = std::round(score.total * 1e6) / 1e6;
      const ins::Definition& def = instrument->definition();
      if (score.band >= 0) m.band = def.band_ids[static_cast<std::size_t>(score.band)];
      for (std::size_t i = 0; i < def.flags.size(); ++i) {
        if (score.flags & (1u << i)) m.flags.push_back(def.flags[i].code);
      }
    }
    std::optional<double> total = m.total;
    record_.measurements.push_back(std::move(m));
    return total;
  }

  // Four items 0..10 with one decimal that sum to `tenths` / 10 exactly.
  std::vector<double> FourItems(int tenths) {
    double w[4];
    double sum = 0;
    for (double& x : w) sum += (x = 0.6 + 0.8 * rng_.Uniform());
    int parts[4];
    int used = 0;
    for (int i = 0; i < 4; ++i) {
      parts[i] = std::min(100, static_cast<int>(std::floor(tenths * w[i] / sum)));
      used += parts[i];
    }
    int i = static_cast<int>(rng_.Below(4));
    while (used < tenths) {
      if (parts[i] < 100) {
        ++parts[i];
        ++used;
      }
      i = (i + 1) % 4;
    }
    return {parts[0] / 10.0, parts[1] / 10.0, parts[2] / 10.0, parts[3] / 10.0};
  }

  static int Tenths(double total) { return static_cast<int>(std::lround(Clip(total, 0, 40) * 10)); }

  // Answers for a symptom scale at `severity` (0..1 of each item's range), each item scaled by
  // its weight, snapped to the item's allowed values.
  std::vector<double> Symptoms(const ins::Instrument* instrument, double severity,
                               std::span<const double> weights = {}) {
    const auto& items = instrument->definition().items;
    std::vector<double> out(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      const ins::Scale& scale = items[i];
      const double w = i < weights.size() ? weights[i] : 1.0;
      const double x = scale.min + severity * w * (scale.max - scale.min) + rng_.Normal(0, 0.7);
      out[i] = Snap(scale, x);
    }
    return out;
  }

  static double Snap(const ins::Scale& scale, double x) {
    double v = Clip(std::round(x), scale.min, scale.max);
    if (scale.values != 0) {  // only some whole numbers allowed (AUDIT 9–10: 0, 2, 4)
      double best = scale.min;
      double best_distance = 1e300;
      for (int k = 0; k < 64; ++k) {
        if (!(scale.values & (std::uint64_t{1} << k))) continue;
        const double d = std::fabs(k - x);
        if (d < best_distance) {
          best_distance = d;
          best = k;
        }
      }
      v = best;
    }
    return v;
  }

  // SOC-13 at a level 1..7 (higher = stronger sense of coherence); reversed items are answered
  // the other way round, so the scored item is near the level.
  std::vector<double> Soc13(double level) {
    const ins::Definition& def = st_.soc13->definition();
    std::vector<double> out(def.items.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      const double scored = Clip(std::round(level + rng_.Normal(0, 1.0)), 1, 7);
      const bool reversed = std::find(def.reverse.begin(), def.reverse.end(),
                                      static_cast<int>(i) + 1) != def.reverse.end();
      out[i] = reversed ? 8 - scored : scored;
    }
    return out;
  }

  // The latent state behind an adult's intake and end forms.
  struct AdultLatent {
    bool substance = false, counselling = false, soc_only = false;
    double alcohol = 0, drugs = 0, depression = 0, anxiety = 0, coherence = 4;
  };

  AdultLatent DrawAdultLatent(std::string_view intervention) {
    AdultLatent a;
    a.substance = IsSubstanceUse(intervention);
    a.counselling = intervention == "stodsamtal";
    a.soc_only = intervention == "ekonomiskt_bistand" || intervention == "boendestod" ||
                 intervention == "arbetstraning";
    if (a.substance) {
      const bool alcohol_primary = rng_.Chance(0.6);
      a.alcohol = alcohol_primary ? rng_.Uniform(0.3, 0.85) : rng_.Uniform(0.0, 0.25);
      a.drugs =
          (!alcohol_primary || rng_.Chance(0.3)) ? rng_.Uniform(0.3, 0.9) : rng_.Uniform(0.0, 0.15);
    }
    a.depression = rng_.Uniform(a.counselling ? 0.2 : 0.1, a.counselling ? 0.75 : 0.6);
    a.anxiety = Clip(a.depression + rng_.Normal(0, 0.1), 0, 1);
    a.coherence = Clip(rng_.Normal(a.soc_only ? 4.6 : 4.2, 0.8), 1.5, 6.5);
    return a;
  }

  // One occasion of an adult's forms (AUDIT, DUDIT, PHQ-9, GAD-7, SOC-13 by intervention).
  // `change` < 1 is improvement (severities multiplied by it), > 1 worsening.
  void AdultForms(const Case& c, const AdultLatent& a, Date day, double change) {
    static constexpr double kPhqWeights[] = {1, 1, 1, 1, 1, 1, 1, 0.9, 0.35};
    static constexpr double kAuditWeights[] = {1, 1, 1, 0.8, 0.8, 0.6, 0.8, 0.7, 0.5, 0.6};
    if (a.substance) {
      Add(c, st_.audit, 0, day, Symptoms(st_.audit, Clip(a.alcohol * change, 0, 1), kAuditWeights));
      Add(c, st_.dudit, 0, day, Symptoms(st_.dudit, Clip(a.drugs * change, 0, 1)));
    }
    if (a.substance || a.counselling) {
      Add(c, st_.phq9, 0, day, Symptoms(st_.phq9, Clip(a.depression * change, 0, 1), kPhqWeights));
      Add(c, st_.gad7, 0, day, Symptoms(st_.gad7, Clip(a.anxiety * change, 0, 1)));
    }
    if (a.counselling || a.soc_only) {
      Add(c, st_.soc13, 0, day, Soc13(Clip(a.coherence + (1 - change) * 2.0, 1, 7)));
    }
  }

  // An intervention: its sessions (with the ORS/SRS series) or its duration; returns the day
  // the chain continues from.
  Date Intervention(Case& c) {
    const SeriesModel& s = p_.series;
    const Date ref = o_.reference_date;
    const int age = c.age_at_start;
    const bool adult = age >= 18;
    const AdultLatent latent = adult ? DrawAdultLatent(c.intervention) : AdultLatent{};
    std::vector<Date> session_dates;
    if (!HasSessions(c.intervention)) {
      const Date end = c.opened + rng_.Between(60, 365);
      if (end <= ref) {
        c.closed = end;
        c.outcome = "completed";
      }
      if (adult) {
        const double change = rng_.Uniform(0.6, 1.05);
        AdultForms(c, latent, c.opened, 1.0);
        if (c.closed) AdultForms(c, latent, *c.closed, change);
      }
      if (p_.truth.enabled) c.truth_features = FeaturesOf(c);
      Notes(c, session_dates);
      return end;
    }
    const ins::Instrument* outcome_form = age >= 13 ? st_.ors : st_.cors;
    const ins::Instrument* alliance_form = age >= 13 ? st_.srs : st_.csrs;
    const bool series = age >= 6;

    // The client's stream makes the same draws, in the same order, as before the series had an
    // onset, dips and intake error; those come from the series stream (docs/synth.md,
    // "Determinism"), so that they change the ORS values and outcomes and nothing else.
    const double true_sd =
        std::sqrt(std::max(0.0, s.intake_sd * s.intake_sd - s.ors_sem * s.ors_sem));
    const double true_intake = Clip(rng_.Normal(s.intake_mean, true_sd), 0, 40);
    const bool deteriorating = rng_.Chance(s.deteriorating);
    const double u_change = rng_.Uniform();
    SeriesTruth truth;
    truth.deteriorating = deteriorating;
    truth.true_intake = true_intake;
    // Improvers: their gain. Deteriorators: the loss below the true intake, the onset, the pace
    // and (with a later onset) the early gain or a flat start.
    double gain = 0, loss = 0, early_gain = 0, ratio = s.improver_ratio;
    double dip_depth = 0;
    if (deteriorating) {
      loss = s.deterioration_min + (s.deterioration_max - s.deterioration_min) * u_change;
      truth.onset_session = series_rng_.Chance(s.onset_first)
                                ? 1
                                : series_rng_.Between(s.onset_later_min, s.onset_later_max);
      truth.early_improvement = truth.onset_session > 1 && series_rng_.Chance(s.early_improvement);
      if (truth.early_improvement) {
        early_gain =
            series_rng_.Uniform(s.gain_fraction_min, s.gain_fraction_max) * (40.0 - true_intake);
      }
      ratio = series_rng_.Uniform(s.deteriorator_ratio_min, s.deteriorator_ratio_max);
    } else {
      gain = (s.gain_fraction_min + (s.gain_fraction_max - s.gain_fraction_min) * u_change) *
             (40.0 - true_intake);
      truth.dips = series_rng_.Chance(s.dip_share);
      if (truth.dips) {
        truth.dip_session = series_rng_.Between(s.dip_session_min, s.dip_session_max);
        truth.dip_length = series_rng_.Chance(s.dip_two_sessions) ? 2 : 1;
        dip_depth = series_rng_.Uniform(s.dip_depth_min, s.dip_depth_max);
      }
    }
    // The expected (true) ORS at session k.
    const auto expected = [&](int k) {
      const auto curve = [](double total, double r, int steps) {
        return total * (1.0 - std::pow(r, static_cast<double>(steps)));
      };
      if (!deteriorating) {
        double e = true_intake + curve(gain, ratio, k - 1);
        if (k >= truth.dip_session && k < truth.dip_session + truth.dip_length) e -= dip_depth;
        return e;
      }
      const int onset = truth.onset_session;
      const double at_onset = true_intake + curve(early_gain, s.improver_ratio, onset - 1);
      if (k <= onset) return true_intake + curve(early_gain, s.improver_ratio, k - 1);
      return at_onset + curve(true_intake - loss - at_onset, ratio, k - onset);
    };
    const int intake = Tenths(true_intake + series_rng_.Normal(0, s.ors_sem));
    if (series) c.series_truth = truth;
    const double alliance = 40.0 - std::fabs(rng_.Normal(0, s.alliance_sd)) -
                            (deteriorating ? s.deteriorator_alliance : 0.0);
    const int planned = rng_.Between(s.sessions_min, s.sessions_max);

    if (adult) AdultForms(c, latent, c.opened, 1.0);  // intake forms, the day of session 1
    // With the truth, whether and where the client drops out is drawn now from the features
    // (not from the alliance): at a session 1..planned-1 when there is one, else at the first.
    int dropout_at = 0;
    if (p_.truth.enabled) {
      c.truth_features = FeaturesOf(c);
      const double p = p_.truth.dropout.Probability(*c.truth_features);
      c.true_dropout = p;
      if (rng_.Chance(p)) dropout_at = planned > 1 ? rng_.Between(1, planned - 1) : 1;
    }
    Date day = c.opened;
    bool dropped = false, open = false;
    std::optional<double> previous_ors, previous_srs;
    int last_ors = intake;
    for (int k = 1; k <= planned; ++k) {
      if (k > 1) day = day + rng_.Between(s.session_interval_min_days, s.session_interval_max_days);
      if (day > ref) {
        open = true;
        break;
      }
      session_dates.push_back(day);
      double srs = 40;
      if (series) {
        const int ors = k == 1 ? intake : Tenths(expected(k) + rng_.Normal(0, s.ors_sem));
        last_ors = ors;
        previous_ors = Add(c, outcome_form, k, day, FourItems(ors), previous_ors);
        const int srs_tenths = Tenths(alliance + rng_.Normal(0, s.srs_noise_sd));
        previous_srs = Add(c, alliance_form, k, day, FourItems(srs_tenths), previous_srs);
        srs = srs_tenths / 10.0;
      }
      if (p_.truth.enabled ? k == dropout_at
                           : k < planned && rng_.Chance(srs < s.srs_cutoff ? s.dropout_low_srs
                                                                           : s.dropout_high_srs)) {
        dropped = true;
        break;
      }
    }
    c.sessions = static_cast<int>(session_dates.size());
    if (!open && !session_dates.empty()) {
      c.closed = session_dates.back();
      if (dropped) {
        c.outcome = "dropout";
      } else if (!series) {
        c.outcome = "completed";
      } else {
        const int change = last_ors - intake;  // in tenths; the ORS's reliable change is 5
        c.outcome = change >= 50 ? "improved" : change <= -50 ? "deteriorated" : "unchanged";
      }
    }
    if (adult && c.closed && !dropped) {  // end forms only when completed
      AdultForms(c, latent, *c.closed,
                 deteriorating ? rng_.Uniform(1.0, 1.25) : rng_.Uniform(0.45, 0.95));
    }
    Notes(c, session_dates);
    return c.closed ? *c.closed : day;
  }

  // ---- Notes ----------------------------------------------------------------------------------

  void Notes(const Case& c, const std::vector<Date>& session_dates) {
    std::vector<std::pair<Date, int>> when;  // date, session
    const Date ref = o_.reference_date;
    if (c.kind == "utredning") {
      when.emplace_back(c.opened, 0);
      const Date second = c.opened + rng_.Between(7, 30);
      if (second <= ref && (!c.closed || second <= *c.closed)) when.emplace_back(second, 0);
    } else if (c.kind == "insats") {
      when.emplace_back(c.opened, 0);
      const int every = p_.notes.sessions_per_note;
      for (std::size_t k = static_cast<std::size_t>(every); k <= session_dates.size();
           k += static_cast<std::size_t>(every)) {
        when.emplace_back(session_dates[k - 1], static_cast<int>(k));
      }
    } else {
      when.emplace_back(c.opened, 0);
    }
    int ordinal = 0;
    for (const auto& [day, session] : when) {
      Note note;
      note.id = Cat({c.id, "-", std::to_string(++ordinal)});
      note.client_id = c.client_id;
      note.case_id = c.id;
      note.date = day;
      in::NoteInput input;
      input.client = &record_.client;
      input.c = &c;
      input.number = number_;
      input.date = day;
      input.reference_date = ref;
      input.age = AgeOn(record_.client.birth_date, day);
      input.session = session;
      input.ordinal = ordinal;
      input.municipality = municipality_->name;
      input.intervention_label = InterventionLabel(c.intervention);
      in::WriteNote(input, p_.notes, rng_, &note);
      record_.notes.push_back(std::move(note));
    }
  }

  const internal::GeneratorState& st_;
  const Options& o_;
  const Parameters& p_;
  in::Rng rng_;
  // The shape of the client's ORS series (onset, pace, dips, intake error): stream
  // 2^63 + index + 1 of the seed, so adding it left every draw of rng_ as it was.
  static constexpr std::uint64_t kSeriesStreams = std::uint64_t{1} << 63;
  in::Rng series_rng_;
  std::size_t index_;
  const ident::IdentityNumber* number_ = nullptr;
  const geo::Municipality* municipality_ = nullptr;
  ClientRecord record_;
  std::vector<bool> investigated_;  // per chain: it reached an investigation (utredning)
};

}  // namespace

ClientRecord Generator::MakeClient(std::size_t index) const {
  return ClientMaker(*state_, index).Make();
}

absl::StatusOr<Summary> Generator::Run(Sink& sink, int threads) const {
  const auto started = std::chrono::steady_clock::now();
  CountingSink counter(&sink);
  const std::size_t n = state_->options.clients;
  if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
  threads = std::clamp(threads, 1, 8);
  constexpr std::size_t kChunk = 2048;
  std::vector<ClientRecord> chunk;
  for (std::size_t first = 0; first < n; first += kChunk) {
    const std::size_t count = std::min(kChunk, n - first);
    chunk.assign(count, ClientRecord());
    if (threads == 1) {
      for (std::size_t i = 0; i < count; ++i) chunk[i] = MakeClient(first + i);
    } else {
      std::vector<std::thread> workers;
      workers.reserve(static_cast<std::size_t>(threads));
      for (int t = 0; t < threads; ++t) {
        workers.emplace_back([this, &chunk, first, count, t, threads] {
          for (std::size_t i = static_cast<std::size_t>(t); i < count;
               i += static_cast<std::size_t>(threads)) {
            chunk[i] = MakeClient(first + i);
          }
        });
      }
      for (auto& w : workers) w.join();
    }
    for (const ClientRecord& record : chunk) VARSAM_RETURN_IF_ERROR(counter.Add(record));
  }
  VARSAM_RETURN_IF_ERROR(counter.Finish());
  Summary summary = counter.summary();
  summary.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace varsam::synth
