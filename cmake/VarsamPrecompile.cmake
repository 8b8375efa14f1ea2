# Precompiled headers, for the sanitized trees that scripts/test builds.
#
#   varsam_precompile(<target> [HEADERS <header>...])
#
# precompiles, once per target, the headers that nearly every file of varsam includes (the
# standard library's containers, Abseil's Status, nlohmann-json) and the given ones, and has
# each of the target's C++ files read them first, when VARSAM_PRECOMPILE_HEADERS is ON. A
# typical file spends about 3 of its 5 to 15 seconds reading those headers again.
#
# OFF by default, and the Release tree is built without: a file that compiles only because the
# precompiled header happened to bring in what it uses would be found there. A file that must
# see its own definitions before a header (Catch2's CATCH_CONFIG_MAIN) is left out with the
# source property SKIP_PRECOMPILE_HEADERS.
option(VARSAM_PRECOMPILE_HEADERS
       "Precompile the common headers of each target (faster builds; hides missing includes)" OFF)

set(_VARSAM_COMMON_HEADERS
  <algorithm> <cstddef> <cstdint> <functional> <map> <memory> <optional> <set> <span> <string>
  <string_view> <utility> <vector> <absl/status/status.h> <absl/status/statusor.h>
  <nlohmann/json.hpp>)

if(VARSAM_PRECOMPILE_HEADERS AND CMAKE_CXX_COMPILER_LAUNCHER)
  # ccache caches a compilation that reads a precompiled header only with these (its manual,
  # "Precompiled headers"); clang must also leave the header's time stamp out of it.
  set(CMAKE_CXX_COMPILER_LAUNCHER "${CMAKE_COMMAND}" -E env
      CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
      ${CMAKE_CXX_COMPILER_LAUNCHER})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    add_compile_options("$<$<COMPILE_LANGUAGE:CXX>:SHELL:-Xclang -fno-pch-timestamp>")
  endif()
endif()

function(varsam_precompile target)
  if(NOT VARSAM_PRECOMPILE_HEADERS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "HEADERS" ${ARGN})
  set(_headers ${_VARSAM_COMMON_HEADERS} ${ARG_HEADERS})
  list(TRANSFORM _headers PREPEND "$<$<COMPILE_LANGUAGE:CXX>:")
  list(TRANSFORM _headers APPEND ">")
  target_precompile_headers(${target} PRIVATE ${_headers})
endfunction()
