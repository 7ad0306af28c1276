"""The NAFTA experiment of Caliendo & Parro (2015) against its published Table 2.

The built-in world ``cp2015`` and scenario ``cp2015-nafta`` are derived from the
authors' data (a test in test_world.py rebuilds them from ../shared).  The expected
numbers are in tests/reference/cp2015_table2.py with their sources.
"""

import math

import pytest
from reference.cp2015_table2 import CP2015_R_PACKAGE, TABLE_2, TABLE_2_HALF_UNIT

import truce

pytestmark = pytest.mark.reference


@pytest.fixture(scope="module")
def nafta():
    result = truce.run(truce.load_world("cp2015"), truce.load_scenario("cp2015-nafta"))
    return result.regions.set_index("region")


@pytest.mark.parametrize("region", sorted(TABLE_2))
def test_table_2_as_printed(nafta, region):
    welfare, tot, vot = TABLE_2[region]
    row = nafta.loc[region]
    assert abs(row.tot_pct - tot) <= TABLE_2_HALF_UNIT
    assert abs(row.vot_pct - vot) <= TABLE_2_HALF_UNIT
    # CP's total welfare effect is the sum of the two first-order parts.
    assert abs(row.tot_pct + row.vot_pct - welfare) <= TABLE_2_HALF_UNIT


@pytest.mark.parametrize("region", sorted(CP2015_R_PACKAGE))
def test_independent_r_implementation(nafta, region):
    tot, vot, welfare, real_wage = CP2015_R_PACKAGE[region]
    row = nafta.loc[region]

    def agrees(ours, printed):
        # Three significant digits: within half a unit of the third digit.
        digit = 10 ** (math.floor(math.log10(abs(printed))) - 2)
        return abs(ours - printed) <= 0.5 * digit

    assert agrees(row.tot_pct, tot)
    assert agrees(row.vot_pct, vot)
    assert agrees(row.tot_pct + row.vot_pct, welfare)
    assert agrees(row.real_wage_pct, real_wage)


def test_exact_welfare_is_below_the_first_order_sum_for_mexico(nafta):
    # The volume-of-trade term values Mexico's extra imports at the 1993 tariff; the exact
    # real-income change also counts the tariff revenue lost by the cut, so it must be
    # smaller than the first-order sum (README, "What the numbers mean").
    row = nafta.loc["MEX"]
    assert row.welfare_pct < row.tot_pct + row.vot_pct
    assert row.welfare_pct > -0.5
