// Issue 5: access contexts and policy packs. Being written.
#include <catch2/catch.hpp>
