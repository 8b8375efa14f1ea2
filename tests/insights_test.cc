// Tests of varsam/insights.h (docs/insights.md).

#include "varsam/insights.h"

#include "catch2/catch.hpp"
