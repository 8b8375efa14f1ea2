// Tests for include/varsam/scrub.h (issue 6, item 2).
//
// Identity numbers here are Skatteverket's official test numbers (data/
// skatteverket-testpersonnummer.txt); the samordningsnummer is derived from one at run time
// (day + 60, check digit recomputed). Phone numbers are in Post- och telestyrelsen's ranges
// for fiction (070-1740605..699, 08-46500400..499, 031-3900600..699); e-mail addresses are at
// example.se / example.com; names are common first names and surnames.

#include "varsam/scrub.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <map>
#include <thread>
#include <string>
#include <vector>

#include "varsam/ident.h"
#include "varsam/synth.h"

namespace {

using varsam::anonymize::Kind;
using varsam::anonymize::ScrubOptions;
using varsam::anonymize::Scrubber;
using varsam::anonymize::Span;

const Scrubber& Default() {
  static const Scrubber* scrubber = [] {
    auto s = Scrubber::Create(ScrubOptions{});
    INFO(s.status().ToString());
    REQUIRE(s.ok());
    return new Scrubber(std::move(*s));
  }();
  return *scrubber;
}

struct Hit {
  std::string text;
  Kind kind;
  friend bool operator==(const Hit& a, const Hit& b) { return a.text == b.text && a.kind == b.kind; }
};

std::ostream& operator<<(std::ostream& os, const Hit& h) {
  return os << '{' << h.text << ", " << varsam::anonymize::KindName(h.kind) << '}';
}

std::vector<Hit> Hits(const Scrubber& s, std::string_view text,
                      std::vector<std::string> names = {}) {
  std::vector<Span> spans;
  REQUIRE(s.Find(text, names, &spans).ok());
  std::vector<Hit> hits;
  std::size_t last_end = 0;
  for (const Span& sp : spans) {
    REQUIRE(sp.offset >= last_end);
    REQUIRE(sp.offset + sp.length <= text.size());
    last_end = sp.offset + sp.length;
    hits.push_back({std::string(text.substr(sp.offset, sp.length)), sp.kind});
  }
  return hits;
}

std::vector<Hit> Hits(std::string_view text, std::vector<std::string> names = {}) {
  return Hits(Default(), text, std::move(names));
}

std::string ScrubText(std::string_view text, std::vector<std::string> names = {}) {
  auto out = Default().Scrub(text, names);
  REQUIRE(out.ok());
  return *out;
}

// A samordningsnummer from an official test number: day + 60, check digit recomputed.
std::string Samordningsnummer() {
  std::string nine = "900161238";  // 900101-238x with day 01 + 60
  return nine.substr(0, 6) + "-" + nine.substr(6) + varsam::ident::LuhnCheckDigit(nine);
}

}  // namespace

TEST_CASE("scrub: personnummer in every form, at the edges", "[scrub]") {
  for (const std::string pnr :
       {"19900101-2385", "900101-2385", "199001012385", "900101 2385", "19900101 2385"}) {
    INFO(pnr);
    CHECK(Hits(pnr) == std::vector<Hit>{{pnr, Kind::kPersonnummer}});
    CHECK(Hits("Klienten " + pnr + ".") == std::vector<Hit>{{pnr, Kind::kPersonnummer}});
    CHECK(ScrubText("(" + pnr + ")") == "([PERSONNUMMER])");
  }
  // Wrong check digit, an extra digit: not identity numbers.
  CHECK(Hits("900101-2386").empty());
  CHECK(Hits("1990010123851").empty());
}

TEST_CASE("scrub: samordningsnummer has its own placeholder", "[scrub]") {
  const std::string sam = Samordningsnummer();
  CHECK(Hits("Samordningsnummer " + sam) == std::vector<Hit>{{sam, Kind::kSamordningsnummer}});
  CHECK(ScrubText(sam + " och 900101-2385") == "[SAMORDNINGSNUMMER] och [PERSONNUMMER]");
  const std::string twelve = "19" + sam.substr(0, 6) + sam.substr(7);
  CHECK(Hits(twelve + ".") == std::vector<Hit>{{twelve, Kind::kSamordningsnummer}});
  ScrubOptions no_sam;
  no_sam.find[static_cast<int>(Kind::kSamordningsnummer)] = false;
  auto s = Scrubber::Create(no_sam);
  REQUIRE(s.ok());
  CHECK(Hits(*s, sam + " 900101-2385") == std::vector<Hit>{{"900101-2385", Kind::kPersonnummer}});
}

TEST_CASE("scrub: Swedish phone numbers", "[scrub]") {
  for (const std::string phone :
       {"070-174 06 05", "0701740605", "070-1740605", "070 174 06 05", "+46 70 174 06 05",
        "+46701740605", "0046 70 174 06 05", "+46 (0)70-174 06 05", "08-465 004 00",
        "08-46500400", "031-390 06 00", "031-3900600", "031 - 390 06 00", "(08) 465 004 00",
        "0980-319 200"}) {
    INFO(phone);
    CHECK(Hits(phone) == std::vector<Hit>{{phone, Kind::kPhone}});
    CHECK(Hits("Ring " + phone + ", tack.") == std::vector<Hit>{{phone, Kind::kPhone}});
  }
  // Not phones: dates, times, amounts, case numbers, payment references, too short or long.
  for (const std::string text :
       {"2024-07-30", "kl. 08.30", "4 849 kr", "Dnr SN 2024/1234", "OCR 0123456789",
        "OCR 3970488051", "OCR 0701740605", "bankgiro: 0701740605", "0751740605", "070-12", "12070-1740605", "070-1740605123456", "a0701740605"}) {
    INFO(text);
    CHECK(Hits(text).empty());
  }
  // A trailing group that makes the number too long is left out.
  CHECK(Hits("070-174 06 05 20 gånger") ==
        std::vector<Hit>{{"070-174 06 05", Kind::kPhone}});
}

TEST_CASE("scrub: e-mail addresses", "[scrub]") {
  for (const std::string mail : {"anna.berg@example.se", "A.Berg+akt@Example.COM",
                                 "åsa.öberg@example.se", "x_y-z%1@sub.example.com"}) {
    INFO(mail);
    CHECK(Hits(mail) == std::vector<Hit>{{mail, Kind::kEmail}});
    CHECK(Hits("E-post: " + mail + ".") == std::vector<Hit>{{mail, Kind::kEmail}});
  }
  CHECK(Hits("anna@ och @example.se och anna@example").empty());
}

TEST_CASE("scrub: postal codes only where plausible", "[scrub]") {
  CHECK(Hits("123 45 Storort") == std::vector<Hit>{{"123 45", Kind::kPostalCode}});
  CHECK(Hits("Box 7, 981 23 Kiruna") == std::vector<Hit>{{"981 23", Kind::kPostalCode}});
  CHECK(Hits("12345 Storort") == std::vector<Hit>{{"12345", Kind::kPostalCode}});
  CHECK(Hits("12345 ÖVRE ORT") == std::vector<Hit>{{"12345", Kind::kPostalCode}});
  CHECK(Hits("postnummer 123 45") == std::vector<Hit>{{"123 45", Kind::kPostalCode}});
  for (const std::string text : {"12345 kr", "12345", "123 456 kr", "1 234 56", "012 34 Ort",
                                 "Dnr 2024/12345", "belopp 123 45,50", "3,123 45"}) {
    INFO(text);
    CHECK(Hits(text).empty());
  }
  // Inside a phone number, the phone wins.
  CHECK(Hits("070 174 06 05") == std::vector<Hit>{{"070 174 06 05", Kind::kPhone}});
}

TEST_CASE("scrub: street addresses", "[scrub]") {
  for (const std::string addr :
       {"Storgatan 12B", "Vasavägen 3", "KYRKBACKEN 7 A", "storgatan 12", "Tallstigen 118",
        "Lönngränd 4", "Parkallén 2", "Stortorget 1", "Medborgarplan 3", "Ringleden 9",
        "Björkvägen 3-5"}) {
    INFO(addr);
    CHECK(Hits(addr) == std::vector<Hit>{{addr, Kind::kAddress}});
    CHECK(Hits("Bor på " + addr + ", sedan 2020.") == std::vector<Hit>{{addr, Kind::kAddress}});
  }
  CHECK(Hits("Björkvägen 12 och mer") == std::vector<Hit>{{"Björkvägen 12", Kind::kAddress}});
  CHECK(Hits("Björkvägen 12, 123 45 Storort") ==
        std::vector<Hit>{{"Björkvägen 12", Kind::kAddress}, {"123 45", Kind::kPostalCode}});
  for (const std::string text :
       {"vårdplan 2", "genomförandeplan 3", "Storgatan utan nummer", "Storgatan 1234",
        "på vägen 3", "gatan 5"}) {
    INFO(text);
    CHECK(Hits(text).empty());
  }
}

TEST_CASE("scrub: the record's names, whole words, any case", "[scrub]") {
  const std::vector<std::string> names = {"Anna Berg", "Nils"};
  CHECK(Hits("Anna Berg kom.", names) == std::vector<Hit>{{"Anna Berg", Kind::kName}});
  CHECK(Hits("ANNA och anna och berg", names) ==
        std::vector<Hit>{{"ANNA", Kind::kName}, {"anna", Kind::kName}, {"berg", Kind::kName}});
  CHECK(Hits("Nils", names) == std::vector<Hit>{{"Nils", Kind::kName}});
  CHECK(Hits("Annas mamma", names) == std::vector<Hit>{{"Annas", Kind::kName}});
  // Inside longer words: never.
  CHECK(Hits("Annika Bergström, Bergvägen, annasdotter, anna60, Nilsson, _anna", names).empty());
  // Swedish letters fold: Å/å, Ö/ö, É/é.
  CHECK(Hits("ÅSA ÖBERG och élise", {"Åsa Öberg", "Élise"}) ==
        std::vector<Hit>{{"ÅSA ÖBERG", Kind::kName}, {"élise", Kind::kName}});
  // A double name and hyphens join; punctuation separates.
  CHECK(Hits("Anna-Karin Berg.", {"Anna-Karin Berg"}) ==
        std::vector<Hit>{{"Anna-Karin Berg", Kind::kName}});
  CHECK(Hits("Anna, Berg", names) ==
        std::vector<Hit>{{"Anna", Kind::kName}, {"Berg", Kind::kName}});
  // Without names, nothing.
  CHECK(Hits("Anna Berg").empty());
}

TEST_CASE("scrub: the host's name list", "[scrub]") {
  ScrubOptions options;
  options.names = {"Per", "Karin", "Lars Olof"};
  auto s = Scrubber::Create(options);
  REQUIRE(s.ok());
  CHECK(Hits(*s, "Per kom, 100 kr per månad") == std::vector<Hit>{{"Per", Kind::kName}});
  CHECK(Hits(*s, "KARIN och Lars") ==
        std::vector<Hit>{{"KARIN", Kind::kName}, {"Lars", Kind::kName}});
  CHECK(Hits(*s, "Karin Berg", {"Berg"}) == std::vector<Hit>{{"Karin Berg", Kind::kName}});
  options.list_names_need_capital = false;
  auto any_case = Scrubber::Create(options);
  REQUIRE(any_case.ok());
  CHECK(Hits(*any_case, "per") == std::vector<Hit>{{"per", Kind::kName}});
  options.names = {"ok", std::string("bad\xff", 4)};
  auto bad = Scrubber::Create(options);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(bad.status().message()).find("names[1]") != std::string::npos);
  CHECK(std::string(bad.status().message()).find("bad") == std::string::npos);
}

TEST_CASE("scrub: overlaps and adjacent identifiers", "[scrub]") {
  const std::vector<std::string> names = {"Anna Berg"};
  // A name inside an e-mail address: the longer e-mail wins.
  CHECK(Hits("anna.berg@example.se", names) ==
        std::vector<Hit>{{"anna.berg@example.se", Kind::kEmail}});
  // A personnummer that also reads as a phone number: same length, personnummer first.
  CHECK(Hits("050101-2397") == std::vector<Hit>{{"050101-2397", Kind::kPersonnummer}});
  CHECK(Hits("0501012397") == std::vector<Hit>{{"0501012397", Kind::kPersonnummer}});
  // Adjacent, with and without spaces.
  CHECK(Hits("Anna Berg 900101-2385 070-1740605 anna@example.se Storgatan 1, 123 45 Ort",
             names) == std::vector<Hit>{{"Anna Berg", Kind::kName},
                                        {"900101-2385", Kind::kPersonnummer},
                                        {"070-1740605", Kind::kPhone},
                                        {"anna@example.se", Kind::kEmail},
                                        {"Storgatan 1", Kind::kAddress},
                                        {"123 45", Kind::kPostalCode}});
  CHECK(Hits("Anna,900101-2385;070-1740605/anna@example.se", names) ==
        std::vector<Hit>{{"Anna", Kind::kName},
                         {"900101-2385", Kind::kPersonnummer},
                         {"070-1740605", Kind::kPhone},
                         {"anna@example.se", Kind::kEmail}});
  CHECK(ScrubText("Anna Berg (19900101-2385) nås på +46 70 174 06 05 och anna@example.se.",
                  names) == "[NAMN] ([PERSONNUMMER]) nås på [TELEFON] och [EPOST].");
  // Overlapping candidates become one span covering them all: nothing of the losing one is
  // left beside the winner's placeholder (a name run reaching into an e-mail address, either
  // one the longer).
  for (const auto& [text, record_name] :
       std::vector<std::pair<std::string, std::string>>{
           {"Lars lars.5@example.se", "Lars"},
           {"Lars Nyström lars.5@example.se", "Lars Nyström"},
           {"ring Lars Nyström lars@example.se idag", "Lars Nyström"}}) {
    const std::string out = ScrubText(text, {record_name});
    INFO(text << " -> " << out);
    CHECK(out.find("ars") == std::string::npos);
    CHECK(out.find("Nyström") == std::string::npos);
    CHECK(out.find("example") == std::string::npos);
    CHECK(out.find('@') == std::string::npos);
    CHECK(out.find(".5") == std::string::npos);
  }
  const std::vector<Hit> merged = Hits("Lars lars.5@example.se", {"Lars"});
  REQUIRE(merged.size() == 1);
  CHECK(merged[0].kind == Kind::kEmail);  // the longest member names the merged span
}

TEST_CASE("scrub: options turn kinds off", "[scrub]") {
  ScrubOptions options;
  options.find[static_cast<int>(Kind::kPhone)] = false;
  options.find[static_cast<int>(Kind::kName)] = false;
  auto s = Scrubber::Create(options);
  REQUIRE(s.ok());
  CHECK(Hits(*s, "Anna 070-1740605 900101-2385", {"Anna"}) ==
        std::vector<Hit>{{"900101-2385", Kind::kPersonnummer}});
}

TEST_CASE("scrub: any bytes, bad arguments", "[scrub]") {
  const std::string junk = "\xff\xfe Anna \xc3 900101-2385\xe2\x82 \xc3\xa5sa\x80";
  CHECK(Hits(junk, {"Anna", "åsa"}) == std::vector<Hit>{{"Anna", Kind::kName},
                                                        {"900101-2385", Kind::kPersonnummer},
                                                        {"\xc3\xa5sa", Kind::kName}});
  auto scrubbed = Default().Scrub(junk, std::vector<std::string>{"Anna"});
  REQUIRE(scrubbed.ok());
  CHECK(scrubbed->find("2385") == std::string::npos);
  CHECK(Hits("").empty());
  CHECK(Hits(std::string(1, '\0') + "900101-2385").size() == 1);
  CHECK(Default().Find("x", {}, nullptr).code() == absl::StatusCode::kInvalidArgument);
  std::string out;
  const std::vector<Span> bad = {{5, 3, Kind::kName}, {4, 1, Kind::kName}};
  CHECK(Scrubber::Replace("abcdefgh", bad, &out).code() == absl::StatusCode::kInvalidArgument);
  const std::vector<Span> outside = {{5, 30, Kind::kName}};
  CHECK(Scrubber::Replace("abcdefgh", outside, &out).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(varsam::anonymize::Placeholder(Kind::kPostalCode) == "[POSTNUMMER]");
  CHECK(varsam::anonymize::KindName(Kind::kSamordningsnummer) == "samordningsnummer");
}

TEST_CASE("scrub: one Scrubber from many threads gives the same spans", "[scrub]") {
  varsam::synth::Options synth_options;
  synth_options.clients = 60;
  auto generator = varsam::synth::Generator::Create(synth_options);
  REQUIRE(generator.ok());
  std::vector<std::string> notes;
  std::vector<std::vector<std::string>> names;
  for (std::size_t i = 0; i < synth_options.clients; ++i) {
    const varsam::synth::ClientRecord r = (*generator)->MakeClient(i);
    for (const varsam::synth::Note& note : r.notes) {
      notes.push_back(note.text);
      names.push_back({r.client.first_name, r.client.surname});
    }
  }
  ScrubOptions options;
  options.today = synth_options.reference_date;
  options.names = {"Eva", "Lars", "Karin"};
  auto s = Scrubber::Create(options);
  REQUIRE(s.ok());
  std::vector<std::vector<Span>> expected(notes.size());
  for (std::size_t i = 0; i < notes.size(); ++i) {
    REQUIRE(s->Find(notes[i], names[i], &expected[i]).ok());
  }
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<Span> spans;
      for (int round = 0; round < 3; ++round) {
        for (std::size_t i = 0; i < notes.size(); ++i) {
          if (!s->Find(notes[i], names[i], &spans).ok() || spans != expected[i]) {
            ++mismatches[t];
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(mismatches == std::vector<int>(4, 0));
}

TEST_CASE("scrub: long adversarial texts are read in linear time", "[scrub]") {
  // Each would take minutes if a rejected candidate were re-read from one byte further on.
  auto repeat = [](std::string_view unit, std::size_t bytes) {
    std::string out;
    while (out.size() < bytes) out += unit;
    return out;
  };
  const std::vector<std::string> names = {"Anna Berg"};
  for (const std::string& text :
       {repeat("01 ", 200000), repeat("0", 200000), repeat("1", 200000),
        repeat("a", 200000) + "gatan 1234", repeat("123 ", 200000), repeat("a.", 200000) + "@",
        repeat("Anna-", 200000), repeat("+46 ", 200000), repeat("\xc3", 200000)}) {
    std::vector<Span> spans;
    REQUIRE(Default().Find(text, names, &spans).ok());
    CHECK(spans.size() <= text.size());
  }
}

// ---- Recall and precision on the synthetic notes ------------------------------------------------

namespace {

// The host's list in the measurement: the synthetic population's first names (the relatives
// are named from the same list; their names are not in the client's record).
const std::vector<std::string> kCommonFirstNames = varsam::synth::FirstNames();

Kind FromSynth(varsam::synth::SpanKind kind) {
  using SK = varsam::synth::SpanKind;
  switch (kind) {
    case SK::kPersonnummer: return Kind::kPersonnummer;
    case SK::kName: return Kind::kName;
    case SK::kPhone: return Kind::kPhone;
    case SK::kEmail: return Kind::kEmail;
    case SK::kAddress: return Kind::kAddress;
    case SK::kPostalCode: return Kind::kPostalCode;
  }
  return Kind::kName;
}

struct Tally {
  std::size_t truth = 0, found = 0, exact = 0, covered = 0;
  double recall() const { return truth == 0 ? 1.0 : double(exact) / double(truth); }
  double precision() const { return found == 0 ? 1.0 : double(exact) / double(found); }
  double coverage() const { return truth == 0 ? 1.0 : double(covered) / double(truth); }
};

}  // namespace

TEST_CASE("scrub: recall and precision on the synthetic notes", "[scrub]") {
  varsam::synth::Options synth_options;
  synth_options.seed = 7;
  synth_options.clients = 2000;
  auto generator = varsam::synth::Generator::Create(synth_options);
  REQUIRE(generator.ok());
  ScrubOptions options;
  options.today = synth_options.reference_date;
  options.names = kCommonFirstNames;
  auto scrubber = Scrubber::Create(options);
  REQUIRE(scrubber.ok());
  // Names from the record alone (no host list): the relatives' names are then not known.
  ScrubOptions record_only;
  record_only.today = synth_options.reference_date;
  auto names_only = Scrubber::Create(record_only);
  REQUIRE(names_only.ok());
  Tally record_names;

  std::map<Kind, Tally> tally;
  std::size_t notes = 0, bytes = 0;
  std::vector<Span> found;
  for (std::size_t i = 0; i < synth_options.clients; ++i) {
    const varsam::synth::ClientRecord record = (*generator)->MakeClient(i);
    const std::vector<std::string> names = {record.client.first_name + " " +
                                            record.client.surname};
    for (const varsam::synth::Note& note : record.notes) {
      ++notes;
      bytes += note.text.size();
      REQUIRE(scrubber->Find(note.text, names, &found).ok());
      std::vector<bool> covered(note.text.size(), false);
      for (const Span& f : found) {
        // Samordningsnummer are personnummer in the truth's terms.
        const Kind kind = f.kind == Kind::kSamordningsnummer ? Kind::kPersonnummer : f.kind;
        ++tally[kind].found;
        for (std::size_t b = f.offset; b < f.offset + f.length; ++b) covered[b] = true;
        for (const varsam::synth::Span& t : note.spans) {
          if (t.offset == f.offset && t.length == f.length && FromSynth(t.kind) == kind) {
            ++tally[kind].exact;
          }
        }
      }
      REQUIRE(names_only->Find(note.text, names, &found).ok());
      std::vector<bool> covered_record(note.text.size(), false);
      for (const Span& f : found) {
        for (std::size_t b = f.offset; b < f.offset + f.length; ++b) covered_record[b] = true;
      }
      for (const Span& f : found) {
        if (f.kind != Kind::kName) continue;
        ++record_names.found;
        for (const varsam::synth::Span& t : note.spans) {
          if (t.offset == f.offset && t.length == f.length &&
              t.kind == varsam::synth::SpanKind::kName) {
            ++record_names.exact;
          }
        }
      }
      for (const varsam::synth::Span& t : note.spans) {
        if (t.kind == varsam::synth::SpanKind::kName) {
          ++record_names.truth;
          bool all = true;
          for (std::size_t b = t.offset; b < t.offset + t.length; ++b) {
            all = all && covered_record[b];
          }
          if (all) ++record_names.covered;
        }
        Tally& k = tally[FromSynth(t.kind)];
        ++k.truth;
        bool all = true;
        for (std::size_t b = t.offset; b < t.offset + t.length; ++b) all = all && covered[b];
        if (all) ++k.covered;
      }
    }
  }
  std::string report = "scrub on " + std::to_string(notes) + " synthetic notes (" +
                       std::to_string(bytes) + " bytes, 2,000 clients, seed 7):";
  report += "\n  kind          truth found recall precision covered";
  auto line = [&](std::string_view kind, const Tally& t) {
    char buf[200];
    std::snprintf(buf, sizeof buf, "\n  %-13s %5zu %5zu %.4f %.4f    %.4f",
                  std::string(kind).c_str(), t.truth, t.found, t.recall(), t.precision(),
                  t.coverage());
    report += buf;
  };
  for (const auto& [kind, t] : tally) line(varsam::anonymize::KindName(kind), t);
  line("name (record)", record_names);
  report += "\n  (name (record): the client's names only, no host list)";
  WARN(report);
  // Floors: 0.99 for the three the issue names; for the others just below what was measured
  // (docs/_fragments/scrub.md has the figures).
  CHECK(tally[Kind::kPersonnummer].recall() >= 0.99);
  CHECK(tally[Kind::kPhone].recall() >= 0.99);
  CHECK(tally[Kind::kEmail].recall() >= 0.99);
  CHECK(tally[Kind::kPersonnummer].precision() >= 0.99);
  CHECK(tally[Kind::kPhone].precision() >= 0.99);
  CHECK(tally[Kind::kEmail].precision() >= 0.99);
  CHECK(tally[Kind::kAddress].recall() >= 0.99);
  CHECK(tally[Kind::kAddress].precision() >= 0.99);
  CHECK(tally[Kind::kPostalCode].recall() >= 0.99);
  CHECK(tally[Kind::kPostalCode].precision() >= 0.99);
  CHECK(tally[Kind::kName].recall() >= 0.995);
  CHECK(tally[Kind::kName].precision() >= 0.995);
  CHECK(record_names.recall() >= 0.85);
  CHECK(record_names.precision() >= 0.91);
}
