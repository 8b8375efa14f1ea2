// Private: free-text case notes in Swedish with identifiers at a known rate, and the exact byte
// spans of every identifier written (the ground truth for measuring an anonymiser).

#ifndef VARSAM_SRC_SYNTH_NOTES_H_
#define VARSAM_SRC_SYNTH_NOTES_H_

#include <string_view>

#include "rng.h"
#include "varsam/ident.h"
#include "varsam/synth.h"

namespace varsam::synth::internal {

struct NoteInput {
  const Client* client = nullptr;
  const Case* c = nullptr;
  const ident::IdentityNumber* number = nullptr;
  Date date;                            // the note's date
  Date reference_date;                  // "today" of the ten-digit forms
  int age = 0;                          // the client's age on the note's date
  int session = 0;                      // insats: the session the note follows, else 0
  int ordinal = 1;                      // the note's number within its case
  std::string_view municipality;        // the client's municipality (short name)
  std::string_view intervention_label;  // Swedish, for insats and uppfoljning
};

// Fills note->text and note->spans (ids and dates are the caller's).
void WriteNote(const NoteInput& in, const NoteModel& model, Rng& rng, Note* note);

}  // namespace varsam::synth::internal

#endif  // VARSAM_SRC_SYNTH_NOTES_H_
