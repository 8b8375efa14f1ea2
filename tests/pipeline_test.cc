// Property tests for the anonymisation pipeline (include/varsam/anonymize.h, "The pipeline";
// docs/anonymisation.md, "Using the pipeline").
//
// Identity numbers are Skatteverket's official test numbers (data/
// skatteverket-testpersonnummer.txt), as embedded in the library. Phone numbers are in Post- och
// telestyrelsen's range for fiction (070-1740600..699); e-mail addresses are at example.se;
// names are common first names and surnames.

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "varsam/anonymize.h"
#include "varsam/core.h"
#include "varsam/hierarchy.h"
#include "varsam/ident.h"

namespace {

using varsam::anonymize::Hierarchy;
using varsam::anonymize::Pipeline;
using varsam::anonymize::PipelineOptions;
using varsam::anonymize::Record;
using varsam::anonymize::Release;

constexpr varsam::Date kToday(2026, 11, 28);

// Test numbers born 1940..2005 (ten-digit forms resolve without '+').
const std::vector<std::string>& TestNumbers() {
  static const std::vector<std::string> numbers = [] {
    std::vector<std::string> out;
    varsam::ident::ForEachOfficialTestNumber([&](const varsam::ident::IdentityNumber& n) {
      const int year = static_cast<int>(n.birth_date.year());
      if (year >= 1940 && year <= 2005) out.emplace_back(n.normalized());
    });
    return out;
  }();
  REQUIRE(numbers.size() > 1000);
  return numbers;
}

const std::vector<std::string>& PostalCodes() {
  static const std::vector<std::string> codes = [] {
    auto geo = Hierarchy::Geography();
    REQUIRE(geo.ok());
    std::vector<std::string> out;
    // A few municipalities' worth: neighbours in the file's order share municipalities.
    for (std::size_t i = 0; i < geo->size() && out.size() < 40; i += 7) {
      out.emplace_back(geo->Label(i, 0));
    }
    return out;
  }();
  return codes;
}

absl::Status TestKey(std::int32_t epoch, std::span<std::uint8_t, 32> key) {
  if (epoch != 3) return absl::NotFoundError("no key for that epoch");
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(0xA0 + i);
  return absl::OkStatus();
}

constexpr const char* kSchema = R"({"format": "varsam-anonymize-schema/1", "fields": [
  {"name": "personnummer", "role": "direct_identifier", "pseudonym": "personnummer"},
  {"name": "namn", "role": "direct_identifier", "person_name": true},
  {"name": "telefon", "role": "direct_identifier"},
  {"name": "epost", "role": "direct_identifier"},
  {"name": "alder", "role": "quasi_identifier", "hierarchy": "age"},
  {"name": "kon", "role": "quasi_identifier", "hierarchy": "sex"},
  {"name": "postnummer", "role": "quasi_identifier", "hierarchy": "geography"},
  {"name": "utfall", "role": "sensitive"},
  {"name": "poang", "role": "insensitive"},
  {"name": "anteckning", "role": "free_text"},
  {"name": "fackforening", "role": "forbidden"}]})";
enum Col { kPnr, kNamn, kTel, kEpost, kAlder, kKon, kPost, kUtfall, kPoang, kNote, kFack };

PipelineOptions Options(int k, int l = 0, double suppression = 0.0) {
  PipelineOptions o;
  auto schema = varsam::anonymize::ParseSchema(kSchema);
  REQUIRE(schema.ok());
  o.schema = std::move(schema).value();
  o.model.k = k;
  o.model.distinct_l = l;
  o.model.max_suppression = suppression;
  if (l >= 2) o.sensitive_field = "utfall";
  o.key_epoch = 3;
  o.keys = TestKey;
  o.scrub.today = kToday;
  return o;
}

std::unique_ptr<Pipeline> Make(PipelineOptions o) {
  auto p = Pipeline::Create(std::move(o));
  INFO(p.status().ToString());
  REQUIRE(p.ok());
  return std::move(p).value();
}

// ---- Synthetic adversarial records ------------------------------------------------------------

const std::vector<std::string> kFirst = {"Anna",  "Lars",   "Karin",  "Erik",  "Maria",
                                         "Johan", "Ingrid", "Mikael", "Sofia", "Niklas"};
const std::vector<std::string> kSur = {"Bergström", "Lindqvist", "Holmberg", "Sandberg",
                                       "Nyström",   "Forsberg",  "Åkesson"};

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Person {
  std::string pnr;  // twelve digits
  std::string first, sur, rel_first;
  std::string phone_tail;  // two digits of 070-17406NN
  std::string email;
};

// Every spelling of a person's identifiers whose bytes must never reach the output.
struct Identifiers {
  std::vector<std::string> digits_and_mail;  // exact substrings (pnr forms, phones, e-mail)
  std::vector<std::string> names;            // whole words, case-insensitive
};

Identifiers IdentifiersOf(const Person& p) {
  Identifiers ids;
  const std::string& n = p.pnr;
  ids.digits_and_mail = {n,
                         n.substr(2),
                         n.substr(0, 8) + "-" + n.substr(8),
                         n.substr(2, 6) + "-" + n.substr(8),
                         n.substr(2, 6) + " " + n.substr(8),
                         n.substr(0, 8) + " " + n.substr(8),
                         "07017406" + p.phone_tail,
                         "070-17406" + p.phone_tail,
                         "174 06 " + p.phone_tail,
                         "70 174 06 " + p.phone_tail,
                         Lower(p.email)};
  ids.names = {Lower(p.first), Lower(p.sur), Lower(p.rel_first)};
  return ids;
}

std::string PnrForm(const std::string& n, int form) {
  switch (form % 5) {
    case 0: return n;
    case 1: return n.substr(0, 8) + "-" + n.substr(8);
    case 2: return n.substr(2, 6) + "-" + n.substr(8);
    case 3: return n.substr(2, 6) + " " + n.substr(8);
    default: return n.substr(2);
  }
}

std::string PhoneForm(const std::string& tail, int form) {
  switch (form % 4) {
    case 0: return "070-17406" + tail;
    case 1: return "070-174 06 " + tail;
    case 2: return "+46 70 174 06 " + tail;
    default: return "07017406" + tail;
  }
}

std::string NameForm(const std::string& name, int form) {
  switch (form % 4) {
    case 0: return name;
    case 1: return Upper(name);
    case 2: return Lower(name);
    default: return name + "s";  // genitive
  }
}

std::string Note(const Person& p, std::mt19937& rng) {
  static const std::vector<std::string> seps = {" ",  "  ", " \t ", ", ", "; ",  "\n",
                                                " (", ") ", ". ",   ": ", " - ", "\r\n"};
  static const std::vector<std::string> words = {"samtal", "om",     "boende",      "och",
                                                 "arbete", "insats", "uppföljning", "ekonomi"};
  std::uniform_int_distribution<int> any(0, 1000);
  std::vector<std::string> pieces;
  const int count = 3 + any(rng) % 8;
  for (int i = 0; i < count; ++i) {
    switch (any(rng) % 8) {
      case 0: pieces.push_back(PnrForm(p.pnr, any(rng))); break;
      case 1: pieces.push_back(PhoneForm(p.phone_tail, any(rng))); break;
      case 2: pieces.push_back(any(rng) % 2 == 0 ? p.email : Upper(p.email)); break;
      case 3: pieces.push_back(NameForm(p.first, any(rng))); break;
      case 4: pieces.push_back(NameForm(p.sur, any(rng))); break;
      case 5:
        pieces.push_back(NameForm(p.first, any(rng)) + " " + NameForm(p.sur, any(rng)));
        break;
      case 6: pieces.push_back(NameForm(p.rel_first, any(rng))); break;
      default: pieces.push_back(words[static_cast<std::size_t>(any(rng)) % words.size()]); break;
    }
  }
  // Identifiers at both edges, sometimes.
  if (any(rng) % 2 == 0) pieces.insert(pieces.begin(), PnrForm(p.pnr, any(rng)));
  if (any(rng) % 2 == 0) pieces.push_back(PhoneForm(p.phone_tail, any(rng)));
  std::string text;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    if (i > 0) text += seps[static_cast<std::size_t>(any(rng)) % seps.size()];
    text += pieces[i];
  }
  return text;
}

struct Input {
  std::vector<Record> records;
  std::vector<Identifiers> ids;
};

Input MakeInput(std::uint32_t seed, std::size_t n) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> any(0, 1 << 20);
  const auto& numbers = TestNumbers();
  const auto& codes = PostalCodes();
  static const std::vector<std::string> outcomes = {"improved", "unchanged", "deteriorated",
                                                    "dropout"};
  static const std::vector<std::string> sexes = {"female", "male", ""};
  Input in;
  for (std::size_t i = 0; i < n; ++i) {
    Person p;
    p.pnr = numbers[static_cast<std::size_t>(any(rng)) % numbers.size()];
    p.first = kFirst[static_cast<std::size_t>(any(rng)) % kFirst.size()];
    p.sur = kSur[static_cast<std::size_t>(any(rng)) % kSur.size()];
    p.rel_first = kFirst[static_cast<std::size_t>(any(rng)) % kFirst.size()];
    const int tail = any(rng) % 100;
    p.phone_tail =
        std::string(1, static_cast<char>('0' + tail / 10)) + static_cast<char>('0' + tail % 10);
    p.email = Lower(p.first) + "." + std::to_string(any(rng) % 100) + "@example.se";

    Record r(11);
    // Direct identifiers, in varied forms and with odd spacing at the edges.
    r[kPnr] = (any(rng) % 3 == 0 ? "  " : "") + PnrForm(p.pnr, any(rng) % 3) +
              (any(rng) % 3 == 0 ? "\t" : "");
    r[kNamn] = p.first + " " + p.sur + (any(rng) % 2 ? " ; " : ";") + p.rel_first + " " + p.sur;
    // Identifiers in every direct-identifier field, whatever the field is called.
    r[kTel] = any(rng) % 2 ? PhoneForm(p.phone_tail, any(rng)) : PnrForm(p.pnr, any(rng));
    r[kEpost] = any(rng) % 2 ? p.email : p.first + " " + PhoneForm(p.phone_tail, any(rng));
    r[kAlder] = std::to_string(any(rng) % 100);
    r[kKon] = sexes[static_cast<std::size_t>(any(rng)) % sexes.size()];
    r[kPost] = codes[static_cast<std::size_t>(any(rng)) % codes.size()];
    r[kUtfall] = outcomes[static_cast<std::size_t>(any(rng)) % outcomes.size()];
    r[kPoang] = std::to_string(any(rng) % 41);
    r[kNote] = Note(p, rng);
    r[kFack] = any(rng) % 4 == 0 ? "  " : "";  // white space only is no value
    in.records.push_back(std::move(r));
    in.ids.push_back(IdentifiersOf(p));
  }
  return in;
}

// ---- Independent checks -----------------------------------------------------------------------

std::string AllBytes(const Release& r) {
  std::string all;
  for (const auto& h : r.header) all += h + "\n";
  for (const auto& row : r.rows) {
    for (const auto& v : row) all += v + "\n";
  }
  return all;
}

bool WordChar(unsigned char c) { return std::isalnum(c) != 0 || c == '_' || c >= 0x80; }

// `word` (lower case) as a whole word of `text`, case-insensitively (ASCII and Latin-1 UTF-8
// letters folded by std::tolower on ASCII only: the test's names' non-ASCII letters are lower
// case in every spelling but Upper(), which leaves them alone).
std::size_t WordAt(const std::string& lower_text, const std::string& word) {
  for (std::size_t at = lower_text.find(word); at != std::string::npos;
       at = lower_text.find(word, at + 1)) {
    const bool start = at == 0 || !WordChar(static_cast<unsigned char>(lower_text[at - 1]));
    const std::size_t end = at + word.size();
    const bool stop =
        end == lower_text.size() || !WordChar(static_cast<unsigned char>(lower_text[end]));
    if (start && stop) return at;
  }
  return std::string::npos;
}

bool HasWord(const std::string& lower_text, const std::string& word) {
  return WordAt(lower_text, word) != std::string::npos;
}

void CheckNoIdentifier(const Release& r, const std::vector<Identifiers>& ids) {
  // Names are looked for outside the pseudonym column (base64url text is not language).
  std::string text;
  for (const auto& row : r.rows) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (r.header[c] != "personnummer") text += row[c] + "\n";
    }
  }
  const std::string lower = Lower(text);
  const std::string all = Lower(AllBytes(r));
  for (const Identifiers& id : ids) {
    for (const std::string& s : id.digits_and_mail) {
      INFO("an identifier of the input is in the output");
      CHECK(all.find(Lower(s)) == std::string::npos);
    }
    for (const std::string& name : id.names) {
      INFO("a name of the input is in the output");
      CHECK_FALSE(HasWord(lower, name));
    }
  }
}

// The released quasi-identifier tuples counted independently: every class >= k rows and, when
// asked, >= l distinct sensitive values.
void CheckClasses(const Release& r, int k, int l) {
  std::vector<std::size_t> qi;
  std::size_t sensitive = 0;
  for (std::size_t c = 0; c < r.header.size(); ++c) {
    if (r.header[c] == "alder" || r.header[c] == "kon" || r.header[c] == "postnummer") {
      qi.push_back(c);
    }
    if (r.header[c] == "utfall") sensitive = c;
  }
  REQUIRE(qi.size() == 3);
  std::map<std::vector<std::string>, std::pair<std::size_t, std::set<std::string>>> classes;
  for (const auto& row : r.rows) {
    std::vector<std::string> key;
    for (std::size_t c : qi) key.push_back(row[c]);
    auto& cls = classes[key];
    ++cls.first;
    cls.second.insert(row[sensitive]);
  }
  for (const auto& [key, cls] : classes) {
    CHECK(cls.first >= static_cast<std::size_t>(k));
    if (l >= 2) CHECK(cls.second.size() >= static_cast<std::size_t>(l));
  }
}

}  // namespace

TEST_CASE("pipeline: no direct identifier survives, and every release is k-anonymous",
          "[pipeline]") {
  for (std::uint32_t seed = 1; seed <= 12; ++seed) {
    const int k = 2 + static_cast<int>(seed % 4);
    const int l = seed % 3 == 0 ? 2 : 0;
    const double suppression = seed % 2 == 0 ? 0.05 : 0.0;
    const std::size_t n = 50 + 37 * seed;
    INFO("seed " << seed << " k " << k << " l " << l);
    const Input in = MakeInput(seed, n);
    auto p = Make(Options(k, l, suppression));
    for (const Record& r : in.records) REQUIRE(p->Add(r).ok());
    auto release = p->Finish();
    INFO(release.status().ToString());
    REQUIRE(release.ok());
    CHECK(release->records_in == n);
    CHECK(release->rows.size() + release->search.suppressed == n);
    CHECK(release->header == std::vector<std::string>{"personnummer", "alder", "kon", "postnummer",
                                                      "utfall", "poang", "anteckning"});
    CheckNoIdentifier(*release, in.ids);
    CheckClasses(*release, k, l);
    // The pseudonym column holds pseudonyms only; some text was scrubbed.
    for (const auto& row : release->rows) {
      CHECK(row[0].size() == varsam::anonymize::kPseudonymLength);
      CHECK(row[0].rfind("p1_", 0) == 0);
    }
    std::size_t scrubbed = 0;
    for (std::size_t s : release->scrubbed) scrubbed += s;
    CHECK(scrubbed > n);
  }
}

TEST_CASE("pipeline: the same records and key give the same release", "[pipeline]") {
  const Input in = MakeInput(99, 300);
  auto run = [&](PipelineOptions o) {
    auto p = Make(std::move(o));
    for (const Record& r : in.records) REQUIRE(p->Add(r).ok());
    auto release = p->Finish();
    REQUIRE(release.ok());
    return std::move(release).value();
  };
  const Release a = run(Options(3));
  const Release b = run(Options(3));
  CHECK(a.rows == b.rows);
  CHECK(a.search.levels == b.search.levels);
  // A different key: the same generalisation, other pseudonyms.
  PipelineOptions other = Options(3);
  other.keys = [](std::int32_t, std::span<std::uint8_t, 32> key) {
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(7 * i + 1);
    return absl::OkStatus();
  };
  const Release c = run(std::move(other));
  REQUIRE(c.rows.size() == a.rows.size());
  CHECK(c.search.levels == a.search.levels);
  for (std::size_t i = 0; i < a.rows.size(); ++i) {
    CHECK(c.rows[i][0] != a.rows[i][0]);
    CHECK(c.rows[i][1] == a.rows[i][1]);
  }
  // Equal personnummer in other spellings: equal pseudonyms.
  auto p = Make(Options(1));
  const std::string n = TestNumbers()[5];
  for (int form : {0, 1, 2, 4}) {  // the forms ident::Check accepts (3 has a space)
    Record r = in.records[0];
    r[kPnr] = " " + PnrForm(n, form) + " ";
    REQUIRE(p->Add(r).ok());
  }
  auto d = p->Finish();
  REQUIRE(d.ok());
  REQUIRE(d->rows.size() == 4);
  for (const auto& row : d->rows) CHECK(row[0] == d->rows[0][0]);
}

TEST_CASE("pipeline: a forbidden field with a value refuses the record, nothing of it remains",
          "[pipeline]") {
  const Input in = MakeInput(5, 120);
  auto p = Make(Options(2));
  for (std::size_t i = 0; i < 60; ++i) REQUIRE(p->Add(in.records[i]).ok());
  // The refused record: its own identifiers, which no other record holds.
  Record bad = in.records[60];
  const std::string marker_pnr = TestNumbers()[TestNumbers().size() - 3];
  bad[kPnr] = marker_pnr;
  bad[kNote] = "Zebulonia Quistgaard, insats beviljad";
  bad[kPoang] = "31337";
  bad[kFack] = "Kommunal";
  const absl::Status refused = p->Add(bad);
  CHECK(refused.code() == absl::StatusCode::kFailedPrecondition);
  const std::string message(refused.message());
  CHECK(message.find("fackforening") != std::string::npos);
  CHECK(message.find("record 61") != std::string::npos);
  CHECK(message.find("Kommunal") == std::string::npos);
  // The rest goes on; the release is as if the refused record had never been there.
  for (std::size_t i = 61; i < 120; ++i) REQUIRE(p->Add(in.records[i]).ok());
  auto release = p->Finish();
  REQUIRE(release.ok());
  CHECK(release->records_in == 119);
  const std::string all = AllBytes(*release);
  CHECK(all.find(marker_pnr) == std::string::npos);
  CHECK(all.find("Zebulonia") == std::string::npos);
  CHECK(all.find("31337") == std::string::npos);
  CHECK(all.find("Kommunal") == std::string::npos);
  // The refused record's pseudonym is not there either.
  auto q = Make(Options(1));
  Record only = in.records[0];
  only[kPnr] = marker_pnr;
  REQUIRE(q->Add(only).ok());
  auto one = q->Finish();
  REQUIRE(one.ok());
  REQUIRE(one->rows.size() == 1);
  CHECK(all.find(one->rows[0][0]) == std::string::npos);
}

TEST_CASE("pipeline: bad records are refused naming the field and record, never the value",
          "[pipeline]") {
  const Input in = MakeInput(6, 3);
  auto p = Make(Options(1));
  REQUIRE(p->Add(in.records[0]).ok());
  Record wrong = in.records[1];
  wrong.pop_back();
  CHECK(p->Add(wrong).code() == absl::StatusCode::kInvalidArgument);

  Record postal = in.records[1];
  postal[kPost] = "00000";
  absl::Status s = p->Add(postal);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(s.message()).find("postnummer") != std::string::npos);
  CHECK(std::string(s.message()).find("record 2") != std::string::npos);
  CHECK(std::string(s.message()).find("00000") == std::string::npos);

  Record age = in.records[1];
  age[kAlder] = "-4";
  CHECK(p->Add(age).code() == absl::StatusCode::kInvalidArgument);

  Record pnr = in.records[1];
  std::string broken = TestNumbers()[7];
  broken[11] = static_cast<char>('0' + (broken[11] - '0' + 1) % 10);  // wrong check digit
  pnr[kPnr] = broken;
  s = p->Add(pnr);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(s.message()).find("personnummer") != std::string::npos);
  CHECK(std::string(s.message()).find(broken) == std::string::npos);

  Record utf8 = in.records[1];
  utf8[kNote] = std::string("\xC3\x28", 2);
  CHECK(p->Add(utf8).code() == absl::StatusCode::kInvalidArgument);

  // An identity number or e-mail address in a kept field: the schema has the field wrong.
  Record kept = in.records[1];
  kept[kPoang] = "ring " + TestNumbers()[9];
  s = p->Add(kept);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(s.message()).find("poang") != std::string::npos);
  CHECK(std::string(s.message()).find(TestNumbers()[9]) == std::string::npos);
  Record mail = in.records[1];
  mail[kUtfall] = "x.y@example.se";
  CHECK(p->Add(mail).code() == absl::StatusCode::kInvalidArgument);

  REQUIRE(p->Add(in.records[2]).ok());
  auto release = p->Finish();
  REQUIRE(release.ok());
  CHECK(release->records_in == 2);
  CHECK(release->rows.size() == 2);
  CHECK(p->Finish().status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("pipeline: an identifier in a kept field is refused however it is written",
          "[pipeline]") {
  // The same scanner as the scrubber's, in the matching view: a word processor's en dash and
  // no-break space, a soft hyphen, fullwidth digits, a dotted phone, an obfuscated address.
  const Input in = MakeInput(6, 3);
  auto p = Make(Options(1));
  const std::string n = TestNumbers()[9];  // YYYYMMDDNNNN
  const std::string ten = n.substr(2, 6) + "\u2013" + n.substr(8);
  std::string fullwidth;
  for (char c : n) fullwidth += "\xEF\xBC" + std::string(1, static_cast<char>(0x90 + (c - '0')));
  const std::vector<std::string> values = {"ring " + ten,
                                           n.substr(0, 8) + "\u00A0" + n.substr(8),
                                           n.substr(0, 4) + "\u00AD" + n.substr(4),
                                           fullwidth,
                                           "070.174.06.05",
                                           "anna (at) example punkt se"};
  for (const std::string& value : values) {
    INFO(value);
    Record kept = in.records[1];
    kept[kPoang] = value;
    const absl::Status s = p->Add(kept);
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(s.message()).find("poang") != std::string::npos);
    CHECK(std::string(s.message()).find(value) == std::string::npos);
  }
}

TEST_CASE("pipeline: a missing key is refused at Create", "[pipeline]") {
  PipelineOptions none = Options(2);
  none.keys = nullptr;
  CHECK(Pipeline::Create(std::move(none)).status().code() == absl::StatusCode::kFailedPrecondition);
  PipelineOptions other_epoch = Options(2);
  other_epoch.key_epoch = 4;  // TestKey has only epoch 3
  CHECK(Pipeline::Create(std::move(other_epoch)).status().code() ==
        absl::StatusCode::kFailedPrecondition);
  // Without a pseudonym kind no key is needed.
  PipelineOptions dropped = Options(2);
  dropped.schema.fields[kPnr].pseudonym.reset();
  dropped.keys = nullptr;
  auto p = Make(std::move(dropped));
  const Input in = MakeInput(8, 10);
  for (const Record& r : in.records) REQUIRE(p->Add(r).ok());
  auto release = p->Finish();
  REQUIRE(release.ok());
  CHECK(release->header.front() == "alder");
  CheckNoIdentifier(*release, in.ids);
}

TEST_CASE("pipeline: options the schema does not fit are refused naming the field", "[pipeline]") {
  PipelineOptions levels = Options(2);
  levels.schema.fields[kKon].max_level = 3;  // sex has levels 0..1
  auto s = Pipeline::Create(std::move(levels)).status();
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(s.message()).find("kon") != std::string::npos);

  PipelineOptions sensitive = Options(2);
  sensitive.sensitive_field = "poang";  // insensitive
  CHECK(Pipeline::Create(std::move(sensitive)).status().code() ==
        absl::StatusCode::kInvalidArgument);
  PipelineOptions l_without = Options(2);
  l_without.model.distinct_l = 2;
  l_without.sensitive_field.clear();
  CHECK(Pipeline::Create(std::move(l_without)).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("pipeline: a csv hierarchy loads through read_hierarchy", "[pipeline]") {
  auto schema = varsam::anonymize::ParseSchema(R"({"format": "varsam-anonymize-schema/1",
    "fields": [
      {"name": "klient", "role": "direct_identifier", "pseudonym": "client_ref"},
      {"name": "insats", "role": "quasi_identifier", "hierarchy": {"csv": "insats.csv"}},
      {"name": "alder", "role": "quasi_identifier", "hierarchy": "age", "min_level": 1}]})");
  REQUIRE(schema.ok());
  PipelineOptions o;
  o.schema = *schema;
  o.model.k = 3;
  o.key_epoch = 3;
  o.keys = TestKey;
  o.scrub.today = kToday;

  SECTION("loaded") {
    std::string asked;
    o.read_hierarchy = [&asked](std::string_view file) -> absl::StatusOr<std::string> {
      asked = std::string(file);
      return std::string(
          "ekonomiskt bistånd;försörjning;insats;*\n"
          "hemtjänst;omsorg;insats;*\n"
          "boendestöd;omsorg;insats;*\n"
          "familjebehandling;stöd, råd;insats;*\n");
    };
    auto p = Make(o);
    CHECK(asked == "insats.csv");
    const std::vector<std::string> values = {"hemtjänst", "boendestöd", "familjebehandling",
                                             "ekonomiskt bistånd"};
    for (int i = 0; i < 40; ++i) {
      REQUIRE(p->Add({"K-" + std::to_string(i), values[static_cast<std::size_t>(i) % 4],
                      std::to_string(30 + i % 7)})
                  .ok());
    }
    const absl::Status unknown = p->Add({"K-x", "trolldom", "30"});
    CHECK(unknown.code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(unknown.message()).find("insats") != std::string::npos);
    auto release = p->Finish();
    INFO(release.status().ToString());
    REQUIRE(release.ok());
    CHECK(release->quasi_identifiers == std::vector<std::string>{"insats", "alder"});
    CHECK(release->search.levels[1] >= 1);  // min_level
    std::map<std::pair<std::string, std::string>, int> classes;
    for (const auto& row : release->rows) ++classes[{row[1], row[2]}];
    for (const auto& [key, size] : classes) CHECK(size >= 3);
    CHECK(release->rows.size() == 40);
  }
  SECTION("no reader") {
    CHECK(Pipeline::Create(o).status().code() == absl::StatusCode::kInvalidArgument);
  }
  SECTION("a reader that fails, a file that does not load") {
    o.read_hierarchy = [](std::string_view) -> absl::StatusOr<std::string> {
      return absl::NotFoundError("no such file");
    };
    CHECK(Pipeline::Create(o).status().code() == absl::StatusCode::kNotFound);
    o.read_hierarchy = [](std::string_view) -> absl::StatusOr<std::string> {
      return std::string("a;b;*\nc;*\n");
    };
    auto s = Pipeline::Create(o).status();
    CHECK(s.code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(s.message()).find("insats") != std::string::npos);
  }
}

TEST_CASE("pipeline: a quasi-identifier value holding an identifier is refused", "[pipeline]") {
  // A host's categorical hierarchy can hold anything, and level 0 releases a value verbatim:
  // an identity number, e-mail address or phone number there refuses the record.
  auto schema = varsam::anonymize::ParseSchema(R"({"format": "varsam-anonymize-schema/1",
    "fields": [{"name": "kod", "role": "quasi_identifier", "hierarchy": {"csv": "kod.csv"}}]})");
  REQUIRE(schema.ok());
  PipelineOptions o;
  o.schema = *schema;
  o.model.k = 1;
  o.scrub.today = kToday;
  o.read_hierarchy = [](std::string_view) -> absl::StatusOr<std::string> {
    return std::string(
        "A1;A;*\n"
        "198501012382;B;*\n"  // an official test number
        "x@example.se;B;*\n");
  };
  auto p = Make(o);
  REQUIRE(p->Add({"A1"}).ok());
  for (const std::string value : {"198501012382", "x@example.se"}) {
    const absl::Status refused = p->Add({value});
    CHECK(refused.code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(refused.message()).find("kod") != std::string::npos);
    CHECK(std::string(refused.message()).find(value) == std::string::npos);
  }
  const auto release = p->Finish();
  REQUIRE(release.ok());
  REQUIRE(release->rows.size() == 1);
  CHECK(release->rows[0][0] == "A1");
}

TEST_CASE("pipeline: an empty input, and more k than records", "[pipeline]") {
  auto p = Make(Options(5));
  auto empty = p->Finish();
  REQUIRE(empty.ok());
  CHECK(empty->rows.empty());
  CHECK(empty->records_in == 0);
  CHECK(empty->search.levels.size() == 3);

  const Input in = MakeInput(11, 4);
  auto q = Make(Options(5));
  for (const Record& r : in.records) REQUIRE(q->Add(r).ok());
  CHECK(q->Finish().status().code() == absl::StatusCode::kFailedPrecondition);

  auto all = Make(Options(5, 0, 1.0));  // a budget that allows suppressing everything
  for (const Record& r : in.records) REQUIRE(all->Add(r).ok());
  auto none = all->Finish();
  REQUIRE(none.ok());
  CHECK(none->rows.empty());
  CHECK(none->search.suppressed == 4);

  auto exact = Make(Options(4));
  for (const Record& r : in.records) REQUIRE(exact->Add(r).ok());
  auto one_class = exact->Finish();
  REQUIRE(one_class.ok());
  CHECK(one_class->rows.size() == 4);
  CheckClasses(*one_class, 4, 0);
}

TEST_CASE("pipeline: a schema without quasi-identifiers is one class", "[pipeline]") {
  auto schema = varsam::anonymize::ParseSchema(R"({"format": "varsam-anonymize-schema/1",
    "fields": [{"name": "namn", "role": "direct_identifier", "person_name": true},
               {"name": "anteckning", "role": "free_text"}]})");
  REQUIRE(schema.ok());
  PipelineOptions o;
  o.schema = *schema;
  o.model.k = 3;
  o.scrub.today = kToday;
  auto p = Make(o);
  for (int i = 0; i < 3; ++i) REQUIRE(p->Add({"Anna Bergström", "Bergström ringde"}).ok());
  auto release = p->Finish();
  REQUIRE(release.ok());
  CHECK(release->rows.size() == 3);
  CHECK(release->search.levels.empty());
  CHECK(release->rows[0] == Record{"[NAMN] ringde"});
  auto q = Make(o);
  REQUIRE(q->Add({"Anna", "x"}).ok());
  CHECK(q->Finish().status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("pipeline: a name beside an e-mail address is scrubbed with it", "[pipeline]") {
  // The name run "Lars lars" reaches into the address "lars.5@example.se": the scrubber merges
  // overlapping candidates into one span, so neither leaves a part behind.
  auto schema = varsam::anonymize::ParseSchema(R"({"format": "varsam-anonymize-schema/1",
    "fields": [{"name": "namn", "role": "direct_identifier", "person_name": true},
               {"name": "anteckning", "role": "free_text"}]})");
  REQUIRE(schema.ok());
  PipelineOptions o;
  o.schema = *schema;
  o.scrub.today = kToday;
  auto p = Make(o);
  REQUIRE(p->Add({"Lars Nyström", "Lars lars.5@example.se"}).ok());
  REQUIRE(p->Add({"Lars Nyström", "Lars Nyström lars.5@example.se"}).ok());
  auto release = p->Finish();
  REQUIRE(release.ok());
  REQUIRE(release->rows.size() == 2);
  CHECK(release->rows[0][0] == "[EPOST]");
  const std::string second = release->rows[1][0];
  CHECK(second.find("lars") == std::string::npos);
  CHECK(second.find("example") == std::string::npos);
}
