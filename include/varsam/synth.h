// varsam/synth.h — a synthetic population of social-services clients, for tests, benchmarks,
// demos and for measuring an anonymiser: realistic data without real people.
//
// Every identity number is one of Skatteverket's official test personnummer (never assigned to
// anyone); names, streets, phone numbers (Post- och telestyrelsen's range for fiction) and
// e-mail addresses (example.se, example.com) are invented; municipalities, counties and postal
// codes are real (SCB codes, data/se-geo). The generator is deterministic: the same Options give
// the same bytes on every platform, because it uses its own PRNG (xoshiro256** seeded by
// splitmix64) and none of the std:: distributions, whose output differs between standard
// libraries. Its parameters are plain data with documented defaults (docs/synth.md), so a test
// can check the distributions against them.
//
// What it makes, per client: the client (identity number, sex and birth date from the number,
// name, address, phone, e-mail, municipality weighted by its number of postal codes), a chain of
// cases (anmalan → forhandsbedomning → utredning → insats → uppfoljning, with age mixes per
// kind), scored instrument forms (ORS/SRS or CORS/CSRS per session; AUDIT, DUDIT, PHQ-9, GAD-7,
// SOC-13 at intake and end of adult interventions; scored by instruments::Registry::Global()),
// and free-text case notes in Swedish that embed identifiers at a known rate, with the exact
// byte spans of every identifier (the ground truth an anonymiser's recall and precision are
// measured against). On request (GroundTruth), dropout and new cases follow a known logistic
// model of the register's levels: the ground truth a model learned from the register is
// measured against.
//
// Clients are independent: client i depends only on (seed, i), so Generator::MakeClient may run
// on any number of threads. Output goes to a Sink: CSV files (docs/synth.md has the schema) or
// a store's journal (store.h).

#ifndef VARSAM_SYNTH_H_
#define VARSAM_SYNTH_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "varsam/core.h"
#include "varsam/ident.h"
#include "varsam/store.h"
#include "varsam/submission.h"

namespace varsam::synth {

// ---- Parameters ---------------------------------------------------------------------------------

// Which cases a client gets. Each client has one chain of cases starting at a random date;
// each step follows the previous with the given probability. Probabilities are 0..1.
// Sources: the chain follows SoL's case handling (a report of concern is assessed within 14
// days, may lead to an investigation, which may lead to an intervention); the rates are
// plausible defaults, not statistics.
struct CaseMix {
  // Children (under 18 at the chain's start): the chain starts with a report (anmalan) with
  // this probability, otherwise with an investigation (an application).
  double child_report = 0.9;
  double child_report_to_assessment = 0.95;  // anmalan → forhandsbedomning
  double child_assessment_to_investigation = 0.45;
  double child_investigation_to_intervention = 0.6;
  // Adults: a report of concern (and then an assessment with the second probability) is rare;
  // most adult chains start with an application, i.e. an investigation.
  double adult_report = 0.06;
  double adult_report_to_assessment = 0.5;
  double adult_assessment_to_investigation = 0.6;
  double adult_investigation_to_intervention = 0.75;
  double intervention_to_follow_up = 0.6;  // insats → uppfoljning, any age
  // Share of interventions for young people aged 15–17 that are substance-use treatment
  // (missbruk_oppenvard); the rest of the children's interventions follow child_interventions.
  double teen_substance_use = 0.05;
  // Relative weights of the children's and the adults' interventions (store.h vocabulary ids).
  std::vector<std::pair<std::string, double>> child_interventions = {{"familjebehandling", 0.45},
                                                                     {"kontaktperson", 0.25},
                                                                     {"placering_familjehem", 0.15},
                                                                     {"placering_hvb", 0.15}};
  std::vector<std::pair<std::string, double>> adult_interventions = {
      {"missbruk_oppenvard", 0.30}, {"missbruk_institution", 0.07}, {"ekonomiskt_bistand", 0.33},
      {"stodsamtal", 0.12},         {"boendestod", 0.10},           {"arbetstraning", 0.08}};
  // Chains start uniformly between these many days before the reference date (and never
  // before the client's 14th day of life). Later events past the reference date are not
  // generated: such cases stay open.
  int start_days_before_min = 120;
  int start_days_before_max = 1095;
};

// ORS/SRS (ages 13+) or CORS/CSRS (ages 6–12) per session of the interventions delivered in
// sessions (familjebehandling, missbruk_*, stodsamtal). FIT: Miller & Duncan; docs/instruments.md.
// docs/synth.md, "Forms", has every default with its source.
struct SeriesModel {
  // Observed intake ORS ~ N(mean, sd) clipped to 0..40, in tenths; the four items are 0..10
  // with one decimal and sum to the total exactly. Every ORS, the intake's too, is the client's
  // true level plus measurement error N(0, ors_sem), so the true intake level is
  // N(mean, sqrt(sd² − ors_sem²)) and the observed intake keeps its sd.
  double intake_mean = 19.0;
  double intake_sd = 7.0;
  // The standard error of measurement of one ORS: sd × sqrt(1 − test–retest reliability),
  // 7 × sqrt(1 − .80) ≈ 3.1 (Bringhurst et al. 2006 .80; Miller et al. 2003 .66). It replaces
  // the former session noise of 1.2, which implied a retest reliability of .97.
  double ors_sem = 3.0;
  // Improvers reach true intake + gain_fraction × (40 − true intake) (the higher the intake, the
  // smaller the gain), with gain_fraction ~ U(gain_fraction_min, gain_fraction_max); the
  // expected ORS at session s is intake + gain × (1 − improver_ratio^(s−1)), so each session's
  // gain is improver_ratio times the one before.
  double gain_fraction_min = 0.10;
  double gain_fraction_max = 0.60;
  double improver_ratio = 0.65;
  // Deteriorators (this share of clients) end U(min, max) points below their true intake.
  double deteriorating = 0.10;
  double deterioration_min = 6.5;
  double deterioration_max = 11.0;
  // Their decline starts after the onset session: the first with probability onset_first,
  // otherwise U{onset_later_min..onset_later_max}. Up to the onset a later-onset deteriorator
  // improves like an improver with probability early_improvement, and otherwise stays flat.
  // From the onset level o the expected ORS at session s > onset is
  // o + (intake − loss − o) × (1 − r^(s − onset)), r ~ U(deteriorator_ratio_min, _max): a pace
  // that differs between clients and is slower than the improvers' when r > improver_ratio.
  double onset_first = 0.4;
  int onset_later_min = 2;
  int onset_later_max = 5;
  double early_improvement = 0.5;
  double deteriorator_ratio_min = 0.55;
  double deteriorator_ratio_max = 0.85;
  // Temporary dips of improvers (the false alerts a service sees): this share of the clients who
  // do not deteriorate falls U(dip_depth_min, dip_depth_max) points below their curve at
  // session U{dip_session_min..dip_session_max} and, with probability dip_two_sessions, the
  // session after too, then is back on the curve.
  double dip_share = 0.2;
  int dip_session_min = 2;
  int dip_session_max = 6;
  double dip_depth_min = 4.0;
  double dip_depth_max = 8.0;
  double dip_two_sessions = 0.4;
  // SRS: per client an alliance level 40 − |N(0, alliance_sd)| (minus deteriorator_alliance
  // for deteriorators); per session that level + N(0, srs_noise_sd), clipped to 0..40.
  double alliance_sd = 3.2;
  double deteriorator_alliance = 1.5;
  double srs_noise_sd = 1.0;
  // Planned sessions U{sessions_min..sessions_max}; after each session but the last the client
  // drops out with dropout_low_srs when that session's SRS < srs_cutoff, else dropout_high_srs.
  int sessions_min = 4;
  int sessions_max = 12;
  double srs_cutoff = 36.0;  // OpenFIT's alliance alert
  double dropout_low_srs = 0.15;
  double dropout_high_srs = 0.04;
  int session_interval_min_days = 7;
  int session_interval_max_days = 14;
};

// The notes: per case, one note (anmalan, forhandsbedomning, uppfoljning), two (utredning), or
// one plus one per `sessions_per_note` sessions (insats). Every place where a note may name the
// client (an identifier slot) holds an identifier with probability `identifier_rate`, and
// otherwise a neutral word ("klienten"); decoys (dates, amounts, case numbers, paragraph
// references) that are not identifiers appear in every note.
struct NoteModel {
  double identifier_rate = 0.5;
  int sessions_per_note = 4;
};

// ---- The ground truth for models (docs/synth.md, "The ground truth") ----------------------------
//
// When GroundTruth::enabled, two things a model learned from the register predicts follow a
// known logistic model of what the register shows about an episode, so that a learned model can
// be compared with the truth and the best attainable AUC (the Bayes AUC: the AUC of the true
// probabilities) is known:
//   dropout   an intervention delivered in sessions ends in "dropout" with probability
//             sigmoid(dropout.LogOdds(features)), drawn when it starts;
//   new case  after a closed intervention (any) the client gets a new case (a new chain, starting
//             in one of the next new_case_months / 3 - 1 quarters) with probability
//             sigmoid(new_case.LogOdds(features)), and otherwise no further case at all.
// The features are those of the intervention's register episode as the engine writes it by
// default (five-year age bands, periods of a quarter; engine::RegisterOptions) and as the models
// component reads them (varsam/models.h): age band, sex, intervention, the band of the intake
// PHQ-9 (the form of the intervention's first day), and the number of the client's earlier
// episodes in the register that started in an earlier quarter. Case kind is constant (insats)
// and region is left out. The truth is on the register's own levels, so a learned coefficient
// is directly comparable: a level's coefficient estimates Effect(level) - Effect(reference).

// One episode's features as the register shows them, as models::FeatureRow levels:
// age_band "35-39" (or "100+"), sex "female"/"male", intervention (a vocabulary id, "none"),
// intake_band a PHQ-9 band id or "(missing)" (or "(no band)"), earlier_episodes "0", "1", "2",
// "3+".
struct TruthFeatures {
  std::string age_band;
  std::string sex;
  std::string intervention;
  std::string intake_band;
  std::string earlier_episodes;
};

// logit P = intercept + the effect of each feature's level. Levels not listed have effect 0.
struct LogisticTruth {
  double intercept = 0;
  // Age groups: (lowest age, effect), ascending; an age band's effect is that of the last group
  // whose lowest age is at most the band's lowest age (groups start on multiples of five, so
  // every five-year band lies in one group).
  std::vector<std::pair<int, double>> age;
  double male = 0;  // female and unknown: 0
  std::vector<std::pair<std::string, double>> interventions;
  std::vector<std::pair<std::string, double>> intake_bands;  // PHQ-9 band ids and "(missing)"
  double earlier[4] = {0, 0, 0, 0};                          // "0", "1", "2", "3+"

  // The effect of one level of a feature named as models::FeatureInfo::name: "age_band",
  // "sex", "intervention", "intake_band:phq9", "earlier_episodes". 0 for anything else.
  double Effect(std::string_view feature, std::string_view level) const;
  double LogOdds(const TruthFeatures& features) const;
  double Probability(const TruthFeatures& features) const;  // sigmoid(LogOdds)
};

// The defaults (docs/synth.md has them as a table).
LogisticTruth DefaultDropoutTruth();
LogisticTruth DefaultNewCaseTruth();

struct GroundTruth {
  // Off by default: the outcomes then come from the ORS/SRS series (SeriesModel) and the chain
  // from CaseMix alone, as documented, byte for byte. On: dropout and new cases follow the truth,
  // and an intervention is never followed by a follow-up (uppfoljning) case, which would be a
  // new case the truth did not draw.
  bool enabled = false;
  int new_case_months = 12;  // N of "a new case within N months of the end"; 6..120
  LogisticTruth dropout = DefaultDropoutTruth();
  LogisticTruth new_case = DefaultNewCaseTruth();
};

// The instrument whose intake band the truth uses.
inline constexpr std::string_view kTruthInstrument = "phq9";

struct Parameters {
  CaseMix cases;
  SeriesModel series;
  NoteModel notes;
  GroundTruth truth;
};

struct Options {
  std::uint64_t seed = 1;
  std::size_t clients = 1000;
  // "Today" for the population: ages, the last possible event, the century of the ten-digit
  // forms of identity numbers written into notes (ident::TenDigitForm on this date). Fixed by
  // default so that output does not depend on the day it is made.
  Date reference_date = Date(2025, 1, 1);
  // Only test numbers of people aged at most this on the reference date are used (the list
  // holds people born from 1890, who would be implausible clients).
  int max_age = 100;
  // When not 0, only the first `cycle_limit` numbers of the (shuffled) list are used, so that
  // numbers repeat sooner (for tests of the repetition rule).
  std::size_t cycle_limit = 0;
  // When not empty, the official test numbers are read from this file (one YYYYMMDDNNNN per
  // line; every line must be an official test number) rather than from the embedded list.
  std::string test_number_file;
  Parameters parameters;
};

// ---- The population -----------------------------------------------------------------------------

struct Client {
  // The host's client id: "K" and the 0-based client index zero-padded to 7 digits
  // ("K0000000"). Distinct for every client, also when identity numbers repeat (beyond the
  // list's length, client i has the number of client i − cycle_length()).
  std::string id;
  std::string personnummer;  // twelve digits YYYYMMDDNNNN, an official test number
  ident::Sex sex = ident::Sex::kFemale;
  Date birth_date;
  std::string first_name;
  std::string surname;
  std::string street_address;     // "Björkvägen 12" (invented street name)
  std::string postal_code;        // five digits, a real postal code of the municipality
  std::string locality;           // the postal code's locality
  std::string municipality_code;  // SCB, four digits
  std::string county_code;        // SCB, two digits
  std::string phone;              // "070-1740605" (PTS's range for fiction)
  std::string email;              // "…@example.se" or "…@example.com"
};

// How the generator made one ORS/CORS series. The onset and the dip may lie beyond the last
// session held (a dropout, a short plan, a case still open): then the series does not show them.
struct SeriesTruth {
  bool deteriorating = false;  // drawn with SeriesModel::deteriorating
  // Deteriorators: the last session before the decline (1: it declines from the first session
  // on). 0 for the others.
  int onset_session = 0;
  bool early_improvement = false;  // a deteriorator who improves up to a later onset
  // Non-deteriorators with a temporary dip: the first session below the curve and how many
  // sessions it lasts (1 or 2). dips false, 0 and 0 for the others.
  bool dips = false;
  int dip_session = 0;
  int dip_length = 0;
  double true_intake = 0;  // the true level at intake (the observed intake ± measurement error)
};

struct Case {
  std::string id;  // the client id, '-' and the case's number within the client ("K0000000-1")
  std::string client_id;
  std::string kind;          // one of store::kCaseKinds
  std::string intervention;  // for insats (and its uppfoljning): a vocabulary id, else ""
  Date opened;
  std::optional<Date> closed;  // none: still open on the reference date
  int age_at_start = 0;
  int sessions = 0;  // sessions held (insats delivered in sessions), else 0
  // store::kOutcomes: sessions → improved/unchanged/deteriorated (ORS change at least the
  // reliable change 5) or dropout; other closed cases → completed; open → "".
  std::string outcome;
  // For a case with an ORS/CORS series (SeriesModel): how the generator made the series,
  // which a test of outcome monitoring needs to know who really deteriorates. Otherwise none.
  std::optional<SeriesTruth> series_truth;
  // Which chain of the client's cases this case belongs to (0 first; later chains only with
  // the ground truth, after a new case was drawn).
  int chain = 0;
  // With GroundTruth::enabled, for an intervention: the features its register episode shows
  // and the true probabilities drawn from (dropout: interventions delivered in sessions;
  // new case: closed interventions). Otherwise none.
  std::optional<TruthFeatures> truth_features;
  std::optional<double> true_dropout;
  std::optional<double> true_new_case;
};

// What an identifier span is. Names of the client and of relatives are kName; a street and its
// number kAddress; the postal code (written "123 45") kPostalCode. Localities, municipalities,
// dates and the case's numbers are not identifiers and are not marked.
enum class SpanKind : std::uint8_t {
  kPersonnummer,
  kName,
  kPhone,
  kEmail,
  kAddress,
  kPostalCode,
};
// "personnummer", "name", "phone", "email", "address", "postal_code".
std::string_view SpanKindName(SpanKind kind);

struct Span {
  std::size_t offset = 0;  // bytes into the note's UTF-8 text
  std::size_t length = 0;  // bytes
  SpanKind kind = SpanKind::kName;
  // How it is written: for personnummer "YYYYMMDD-NNNN", "YYMMDD-NNNN" (or "YYMMDD+NNNN"),
  // "YYYYMMDDNNNN", "YYMMDD NNNN", "YYYYMMDD NNNN"; for phones "070-NNNNNNN", "070-NNN NN NN",
  // "070 NNN NN NN", "+46 70 NNN NN NN"; for others "".
  std::string_view form;
};

struct Note {
  std::string id;  // the case id, '-' and the note's number within the case ("K0000000-1-1")
  std::string client_id;
  std::string case_id;
  Date date;
  std::string text;         // Swedish, UTF-8, one paragraph
  std::vector<Span> spans;  // ascending, not overlapping
};

// Everything about one client.
struct ClientRecord {
  Client client;
  std::vector<Case> cases;
  std::vector<store::Measurement> measurements;  // id 0; in case, then date order
  std::vector<Note> notes;
};

struct Summary {
  std::size_t clients = 0;
  std::size_t cases = 0;
  std::size_t measurements = 0;
  std::size_t notes = 0;
  std::size_t identifiers = 0;  // spans in the notes
  double seconds = 0;           // wall time of Generator::Run
};

// ---- Output -------------------------------------------------------------------------------------

// Receives the clients in index order.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual absl::Status Add(const ClientRecord& record) = 0;
  // Called once after the last client: flush and close.
  virtual absl::Status Finish() { return absl::OkStatus(); }
};

// Writes clients.csv, cases.csv, measurements.csv, notes.csv and notes_truth.csv into
// `directory` (created when missing; files are replaced), RFC 4180 (CRLF line ends, fields
// quoted when they hold a comma, quote or line break), UTF-8, a header row each. The schema is
// in docs/synth.md. Unavailable when a directory or file cannot be created or written.
absl::StatusOr<std::unique_ptr<Sink>> CsvSink(const std::string& directory);

// The files as Excel with Swedish regional settings saves "CSV UTF-8" (`varsam synth --excel`;
// docs/synth.md): a UTF-8 byte-order mark, ';' between fields (a field holding ';' is quoted),
// CRLF, a decimal comma in numbers ("12,5"; lists of numbers keep their points), sex as
// "kvinna"/"man" and dates as YYYYMMDD. No "sep=;" line: Excel ignores the byte-order mark of a
// file that has one and reads it as Windows-1252.
struct CsvStyle {
  bool excel = false;
};
absl::StatusOr<std::unique_ptr<Sink>> CsvSink(const std::string& directory, const CsvStyle& style);

// Appends every measurement to `store`'s journal with Store::AppendMeasurements, `batch`
// measurements per call (one transaction each). The store has no tables for clients, cases or
// notes: those go to CSV. `store` must outlive the sink.
std::unique_ptr<Sink> StoreSink(store::Store* store, std::size_t batch = 5000);

// Counts what passes through (and forwards to `next` when given); Run's Summary comes from it.
class CountingSink : public Sink {
 public:
  explicit CountingSink(Sink* next = nullptr) : next_(next) {}
  absl::Status Add(const ClientRecord& record) override;
  absl::Status Finish() override;
  const Summary& summary() const { return summary_; }

 private:
  Sink* next_;
  Summary summary_;
};

// Calls each of `sinks` in turn.
class TeeSink : public Sink {
 public:
  explicit TeeSink(std::vector<Sink*> sinks) : sinks_(std::move(sinks)) {}
  absl::Status Add(const ClientRecord& record) override;
  absl::Status Finish() override;

 private:
  std::vector<Sink*> sinks_;
};

// Every first name the generator gives clients and the relatives in their notes (common
// Swedish names, women's then men's): the host name list a scrubber measurement uses.
std::vector<std::string> FirstNames();

// Each case of a client as a host submits it to the register (engine::Engine::SubmitToRegister
// takes one case per call): the case (ref, kind, client = the client's id) and its one episode
// (the client's identity number and id, age when the case opened, sex, postal code,
// intervention, dates, outcome and the case's measurements). An anmälan or förhandsbedömning
// led to an investigation when its own chain of cases reached an utredning; every other
// kind is or follows one. submission::RegisterCaseJson of each is a line of `varsam register
// submit`'s input.
std::vector<submission::RegisterCase> RegisterCases(const ClientRecord& record);

namespace internal {
struct GeneratorState;
}  // namespace internal

// ---- The generator ------------------------------------------------------------------------------

class Generator {
 public:
  // InvalidArgument naming the parameter when options are out of range (a probability outside
  // 0..1, an empty weight list, min > max, an unknown intervention id); NotFound or
  // InvalidArgument when test_number_file cannot be read or holds a number not in the
  // official list; FailedPrecondition when no test number fits max_age.
  static absl::StatusOr<std::unique_ptr<Generator>> Create(const Options& options);
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  const Options& options() const;
  // How many distinct identity numbers are used before they repeat (the official test numbers
  // of people aged 0..max_age on the reference date, or cycle_limit when smaller).
  std::size_t cycle_length() const;

  // Client `index` (0-based) with its cases, measurements and notes. Deterministic; depends only
  // on the options and the index. Thread-safe.
  ClientRecord MakeClient(std::size_t index) const;

  // Makes clients 0 .. options().clients − 1 and passes them to `sink` in order (using up to
  // `threads` threads to make them; 0 = hardware concurrency, at most 8), then calls
  // sink.Finish(). Stops at the first error of the sink.
  absl::StatusOr<Summary> Run(Sink& sink, int threads = 1) const;

 private:
  explicit Generator(std::unique_ptr<internal::GeneratorState> state);
  std::unique_ptr<internal::GeneratorState> state_;
};

}  // namespace varsam::synth

#endif  // VARSAM_SYNTH_H_
