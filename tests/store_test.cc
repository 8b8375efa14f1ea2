// The store test suite, one suite for both backends (issue 4). Being written.
#include <catch2/catch.hpp>
