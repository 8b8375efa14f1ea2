// The synthetic population (issue 4). Being written.
#include <catch2/catch.hpp>
