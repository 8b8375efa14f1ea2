# varsam_warnings(target): the warning set for varsam's own code (style.md: -Wall -Wextra -Werror).
function(varsam_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wnon-virtual-dtor
    $<$<COMPILE_LANGUAGE:C>:-Wstrict-prototypes>
    $<$<BOOL:${VARSAM_WERROR}>:-Werror>)
endfunction()
