/* A host's first use of varsam from C: check that the header and the library agree, then
 * check identity numbers given on the command line (or two official test numbers).
 *
 *   cc example.c $(pkg-config --cflags --libs varsam) -o example && ./example 800102-2386
 */
#include <stdio.h>
#include <string.h>
#include <varsam.h>

int main(int argc, char** argv) {
  static const char* const kDefaults[] = {"198001022386", "900101+9802"};
  const char* const* numbers = argc > 1 ? (const char* const*)(argv + 1) : kDefaults;
  const int count = argc > 1 ? argc - 1 : 2;
  int all_valid = 1;
  int i;

  if (varsam_version_number() / 1000000 != VARSAM_VERSION_MAJOR) {
    fprintf(stderr, "varsam.h is %s but the library is %s\n", VARSAM_VERSION_STRING,
            varsam_version_string());
    return 70;
  }
  printf("varsam %s\n", varsam_version_string());

  for (i = 0; i < count; ++i) {
    varsam_id_result r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    if (varsam_id_check(numbers[i], strlen(numbers[i]), 0, &r) != VARSAM_OK) {
      fprintf(stderr, "varsam_id_check: %s\n", varsam_last_error());
      return 70;
    }
    if (r.valid) {
      printf("%s: %s %s, born %04d-%02d-%02d%s\n", numbers[i],
             r.kind == VARSAM_ID_KIND_SAMORDNINGSNUMMER ? "samordningsnummer" : "personnummer",
             r.normalized, (int)r.birth_year, (int)r.birth_month, (int)r.birth_day,
             r.official_test_number ? " (official test number)" : "");
    } else {
      printf("%s: invalid: %s\n", numbers[i], varsam_id_error_message(r.error));
      all_valid = 0;
    }
  }
  return all_valid ? 0 : 1;
}
