// Private: the invented parts of a synthetic client: first names and surnames (common Swedish
// names, so the notes read naturally; a name alone identifies nobody), invented street names,
// phone numbers in the range Post- och telestyrelsen keeps for fiction, and e-mail addresses
// at the reserved example domains (RFC 2606 reserves example.com; example.se is likewise never
// delegated to a person).

#ifndef VARSAM_SRC_SYNTH_NAMES_H_
#define VARSAM_SRC_SYNTH_NAMES_H_

#include <span>
#include <string>
#include <string_view>

#include "rng.h"
#include "varsam/ident.h"

namespace varsam::synth::internal {

std::span<const std::string_view> FirstNames(ident::Sex sex);
std::span<const std::string_view> Surnames();

// "Björkvägen 12", "Kvarngatan 3B".
std::string StreetAddress(Rng& rng);

// Post- och telestyrelsen (PTS) reserves the mobile numbers 070-174 06 05 … 070-174 06 99 for
// fiction (film, TV, books): no subscriber ever gets them. Returns the last two digits 05..99.
int FictionPhoneSuffix(Rng& rng);
// The number in its canonical form "070-17406NN".
std::string PhoneNumber(int suffix);

// "anna.lindqvist@example.se", "alindqvist7@example.com": lower-case ASCII (å, ä → a; ö → o;
// é → e).
std::string EmailAddress(std::string_view first, std::string_view surname, Rng& rng);

// "123 45": the written form of a five-digit postal code.
std::string WrittenPostalCode(std::string_view five_digits);

}  // namespace varsam::synth::internal

#endif  // VARSAM_SRC_SYNTH_NAMES_H_
