// Invented names, streets, phone numbers and e-mail addresses.

#include "names.h"

#include <string>

#include "varsam/core.h"

namespace varsam::synth::internal {
namespace {

// Common Swedish first names (of the kind SCB's name statistics list at the top); none is
// rare enough to point at a person.
constexpr std::string_view kFemale[] = {
    "Anna",    "Eva",   "Maria",   "Karin",  "Sara",  "Kristina", "Lena",   "Emma",
    "Kerstin", "Marie", "Malin",   "Ingrid", "Jenny", "Hanna",    "Linnéa", "Sofia",
    "Elin",    "Ida",   "Johanna", "Elsa",   "Maja",  "Alice",    "Julia",  "Ebba",
    "Wilma",   "Agnes", "Frida",   "Astrid", "Ella",  "Klara",    "Åsa",    "Märta"};
constexpr std::string_view kMale[] = {
    "Lars",    "Mikael", "Anders", "Johan",   "Erik",  "Per",       "Karl",   "Peter",
    "Jan",     "Thomas", "Daniel", "Fredrik", "Hans",  "Andreas",   "Stefan", "Oscar",
    "William", "Liam",   "Lucas",  "Hugo",    "Elias", "Alexander", "Noah",   "Adam",
    "Nils",    "Axel",   "Olle",   "Viktor",  "Björn", "Göran",     "Sven",   "Måns"};
constexpr std::string_view kSurnames[] = {
    "Andersson", "Johansson", "Karlsson",   "Nilsson",    "Eriksson",    "Larsson",    "Olsson",
    "Persson",   "Svensson",  "Gustafsson", "Pettersson", "Jonsson",     "Jansson",    "Hansson",
    "Bengtsson", "Jönsson",   "Lindberg",   "Jakobsson",  "Magnusson",   "Lindström",  "Olofsson",
    "Lindqvist", "Lindgren",  "Berg",       "Axelsson",   "Bergström",   "Lundberg",   "Lind",
    "Lundgren",  "Lundqvist", "Mattsson",   "Berglund",   "Fredriksson", "Sandberg",   "Henriksson",
    "Forsberg",  "Sjöberg",   "Wallin",     "Engström",   "Håkansson",   "Danielsson", "Åberg",
    "Holm",      "Nyström",   "Sundberg",   "Ali",        "Mohammed",    "Hassan",     "Nguyen"};

// Street names are invented from a first part and a kind of street; such generic names exist in
// many towns, so no real address is implied.
constexpr std::string_view kStreetFirst[] = {
    "Björk",    "Ek",       "Lönn",  "Hassel",   "Rönn",      "Gran",     "Tall",   "Lind",
    "Asp",      "Al",       "Sjö",   "Berg",     "Äng",       "Skogs",    "Kvarn",  "Smedje",
    "Skol",     "Kyrk",     "Park",  "Stations", "Trädgårds", "Blåbärs",  "Lingon", "Hjortron",
    "Vitsippe", "Kastanje", "Syren", "Fläder",   "Klöver",    "Tranbärs", "Mölle",  "Fiskar"};
constexpr std::string_view kStreetKind[] = {"vägen", "gatan", "stigen", "gränd", "backen", "allén"};

// Lower-case ASCII for an e-mail local part.
void AppendAscii(std::string_view text, std::string* out) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == 0xC3 && i + 1 < text.size()) {
      const auto d = static_cast<unsigned char>(text[++i]);
      switch (d) {
        case 0xA5:
        case 0xA4:
        case 0x85:
        case 0x84: *out += 'a'; break;  // å ä Å Ä
        case 0xB6:
        case 0x96: *out += 'o'; break;  // ö Ö
        case 0xA9:
        case 0x89: *out += 'e'; break;  // é É
        default: break;
      }
      continue;
    }
    if (c >= 'A' && c <= 'Z') {
      *out += static_cast<char>(c - 'A' + 'a');
    } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      *out += static_cast<char>(c);
    }
  }
}

}  // namespace

std::span<const std::string_view> FirstNames(ident::Sex sex) {
  if (sex == ident::Sex::kFemale) return kFemale;
  return kMale;
}

std::span<const std::string_view> Surnames() { return kSurnames; }

std::string StreetAddress(Rng& rng) {
  std::string out(rng.Pick<std::string_view>(kStreetFirst));
  out += rng.Pick<std::string_view>(kStreetKind);
  out += ' ';
  out += std::to_string(rng.Between(1, 120));
  if (rng.Chance(0.1)) out += static_cast<char>('A' + rng.Between(0, 2));
  return out;
}

int FictionPhoneSuffix(Rng& rng) { return rng.Between(5, 99); }

std::string PhoneNumber(int suffix) {
  std::string out = "070-17406";
  out += static_cast<char>('0' + suffix / 10);
  out += static_cast<char>('0' + suffix % 10);
  return out;
}

std::string EmailAddress(std::string_view first, std::string_view surname, Rng& rng) {
  std::string out;
  switch (rng.Between(0, 2)) {
    case 0:
      AppendAscii(first, &out);
      out += '.';
      AppendAscii(surname, &out);
      break;
    case 1:
      AppendAscii(first, &out);
      out.resize(1);
      AppendAscii(surname, &out);
      out += std::to_string(rng.Between(1, 99));
      break;
    default:
      AppendAscii(first, &out);
      out += std::to_string(rng.Between(60, 99));
      break;
  }
  out += rng.Chance(0.6) ? "@example.se" : "@example.com";
  return out;
}

std::string WrittenPostalCode(std::string_view five_digits) {
  return Cat({five_digits.substr(0, 3), " ", five_digits.substr(3)});
}

}  // namespace varsam::synth::internal
