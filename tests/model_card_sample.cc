// Writes the model card (HTML) of a model fitted on the synthetic register of
// tests/model_fixtures.h, and optionally its model file, for the browser test
// (tests/card/test_card_chromium.py) and for people who want to look at a card.
//
//   varsam_model_card_sample CARD.html [MODEL.json]

#include <cstdio>
#include <fstream>
#include <string>

#include "model_fixtures.h"
#include "varsam/core.h"
#include "varsam/models.h"

namespace {

bool Write(const char* path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  return out.good();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr, "usage: varsam_model_card_sample CARD.html [MODEL.json]\n");
    return 2;
  }
  auto file = varsam_test::FitSampleModel();
  if (!file.ok()) {
    std::fprintf(stderr, "model_card_sample: %s\n",
                 std::string(varsam::StatusMessage(file.status())).c_str());
    return 1;
  }
  const std::string json = varsam::models::ModelFileJson(*file);
  if (!Write(argv[1], varsam::models::ModelCardHtml(*file)) ||
      (argc == 3 && !Write(argv[2], json))) {
    std::fprintf(stderr, "model_card_sample: could not write the output\n");
    return 1;
  }
  return 0;
}
