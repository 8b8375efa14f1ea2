# varsam_warnings(target): the warning set for varsam's own code (-Wall -Wextra -Werror).
function(varsam_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow
    $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor>
    $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes>
    $<$<BOOL:${VARSAM_WERROR}>:-Werror>)
  # GCC's -Wmaybe-uninitialized gives false positives in libstdc++ (<regex>, pulled in by
  # Catch2) under -fsanitize; the sanitizers themselves check what that warning guesses at.
  if(VARSAM_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
  endif()
endfunction()
