"""Write docs/validation.md: truce's numbers beside published estimates of the same
experiments (run again after any change to a world, a scenario or a model).

Each experiment is run on its world with the world's own elasticities (on ``default``
the per-sector median of the published sources), with Caliendo and Parro's (the
model's own paper's, ``cp``), and under every source at once (the range across
sources).  A row says whether truce is within a factor of two of the published
figure and, where it is not, why the two measure different things.

Usage: python scripts/validation.py [--out docs/validation.md]
"""

from __future__ import annotations

import argparse
import datetime
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

import truce
from truce.api import with_products
from truce.data.calibrate import world_to_baseline
from truce.data.elasticities import elasticity_sources, with_source
from truce.data.world import check_world
from truce.policy.compile import compile_scenario_full
from truce.report.files import write_text

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Experiment:
    """One published estimate and how truce measures the same thing."""

    name: str
    published: float
    unit: str
    citation: str
    scenario: str
    world: str
    measure: Callable[[truce.Result, truce.World], float]
    """Truce's number from a result (same unit and sign as ``published``)."""
    date: datetime.date | None = None
    differs: str = ""
    """What differs between the two numbers (horizon, channels, coverage)."""


def us_welfare_pct(result: truce.Result, world: truce.World) -> float:
    return float(result.regions.set_index("region").loc["USA", "welfare_pct"])


def us_welfare_terms_pct(result: truce.Result, world: truce.World) -> float:
    """US welfare as Caliendo and Parro print it: the sum of its terms-of-trade and
    volume-of-trade effects (a first-order decomposition, not the exact change)."""
    us = result.regions.set_index("region").loc["USA"]
    return float(us["tot_pct"] + us["vot_pct"])


def us_average_tariff_on_china_pct(result: truce.Result, world: truce.World) -> float:
    """The trade-weighted average US tariff on Chinese goods in force on the result's day
    (2022 goods flows as weights, before any substitution: an input, not a solution)."""
    scenario = truce.load_scenario(result.scenario)
    split = with_products(world, scenario)
    baseline = world_to_baseline(split)
    shock = compile_scenario_full(scenario, baseline, date=result.date).shock
    regions = list(split.regions["region"])
    n, i = regions.index("USA"), regions.index("CHN")
    goods = [k for k, s in enumerate(baseline.sectors) if s != "SVC"]
    flow = np.asarray(baseline.flow_sni)[goods, n, i]
    tariff = np.asarray(shock.tau_sni)[goods, n, i]
    return float(100 * (flow * tariff).sum() / flow.sum())


def us_cost_bn_per_month(result: truce.Result, world: truce.World) -> float:
    """The US real-income change of *removing* the tariffs (its equivalent variation,
    ``welfare_usd_bn``), turned into the cost of keeping them: US$ bn a month."""
    return float(result.regions.set_index("region").loc["USA", "welfare_usd_bn"]) / 12


def us_burden_per_household(result: truce.Result, world: truce.World) -> float:
    """What keeping the tariffs costs a US household a year: the real income removing
    them gives back plus the tariff revenue they raise (the tax households pay, which
    truce rebates), US$ per household (world currency US$ million)."""
    us = result.regions.set_index("region").loc["USA"]
    households = us["welfare_usd_bn"] * 1e9 / us["welfare_usd_per_household"]
    burden_bn = us["welfare_usd_bn"] - us["tariff_revenue_change"] / 1e3
    return float(burden_bn * 1e9 / households)


def us_china_goods_trade_pct(result: truce.Result, world: truce.World) -> float:
    """Change of US–China goods trade, both directions, at world prices."""
    trade = result.trade
    pair = trade[
        (
            ((trade["exporter"] == "USA") & (trade["importer"] == "CHN"))
            | ((trade["exporter"] == "CHN") & (trade["importer"] == "USA"))
        )
        & (trade["sector"] != "SVC")
    ]
    return 100 * (pair["counterfactual"].sum() / pair["baseline"].sum() - 1)


EXPERIMENTS = (
    Experiment(
        name="Cost of the 2018 US tariffs to the US",
        published=1.4,
        unit="US$ bn a month",
        citation=(
            "Amiti, M., S. Redding and D. Weinstein (2019), 'The Impact of the 2018 Tariffs "
            "on Prices and Welfare', Journal of Economic Perspectives 33(4): 187-210: "
            "deadweight loss of US$ 1.4 bn a month by the end of 2018"
        ),
        scenario="trade-war-undone",
        world="default",
        measure=us_cost_bn_per_month,
        differs=(
            "truce undoes the US-China layers of 2018-24 on 2022 trade (List 4A and the "
            "2024 increases included, China's retaliation too, the 2018 tariffs on other "
            "partners not), measures real income in a long-run equilibrium and counts the "
            "US terms-of-trade gain, which ARW's complete pass-through estimate rules out"
        ),
    ),
    Experiment(
        name="Cost of the US tariffs on China to a US household, tax included",
        published=831.0,
        unit="US$ a year",
        citation=(
            "Amiti, M., S. Redding and D. Weinstein (2019), 'New China Tariffs Increase "
            "Costs to U.S. Households', Liberty Street Economics, Federal Reserve Bank of "
            "New York, 23 May 2019, as reported by the Associated Press (24 May 2019; "
            "secondary): US$ 831 a year for the typical household once the May 2019 "
            "increase (10% to 25% on US$ 200 bn) is added to the 2018 tariffs, which alone "
            "cost US$ 419: the tariff paid plus the deadweight loss"
        ),
        scenario="trade-war-undone",
        world="default",
        measure=us_burden_per_household,
        differs=(
            "both count the tariff paid and the efficiency loss; truce's tariffs are those "
            "of 2018-24 (List 4A at 7.5% after Phase One, the 2024 increases), between the "
            "two states the NY Fed priced, on 2022 trade in a long-run equilibrium whose "
            "terms-of-trade gain offsets part of the loss; households from WDI population "
            "over UN DESA household size (docs/worlds.md)"
        ),
    ),
    Experiment(
        name="US real income lost to the 2018 tariffs and retaliation",
        published=0.04,
        unit="% of GDP",
        citation=(
            "Fajgelbaum, P., P. Goldberg, P. Kennedy and A. Khandelwal (2020), 'The Return "
            "to Protectionism', Quarterly Journal of Economics 135(1): 1-55: aggregate real "
            "income loss of US$ 7.2 bn a year, 0.04% of GDP, after tariff revenue and gains "
            "to domestic producers"
        ),
        scenario="trade-war-undone",
        world="default",
        measure=us_welfare_pct,
        differs=(
            "the paper covers the 2018 waves only (US$ 303 bn of imports from every "
            "partner, 2.6% to 16.6%) and every partner's retaliation, in a short-run model "
            "of the US economy with its own estimated elasticities; truce undoes the "
            "US-China layers of 2018-24 (List 4A and the 2024 increases too) in a long-run "
            "world equilibrium, so its tariff wedge on US-China trade is wider and its "
            "terms-of-trade gain larger"
        ),
    ),
    Experiment(
        name="US GDP effect of the February 2025 10% tariff on China",
        published=-0.1,
        unit="% (long run)",
        citation=(
            "The Budget Lab at Yale (2025), 'Economic and Fiscal Effects of the February "
            "2025 Proposed Tariffs on China': US real GDP -0.1% lower, with China's "
            "announced retaliation"
        ),
        scenario="us-china-2025-2026",
        world="default",
        date=datetime.date(2025, 2, 11),
        measure=us_welfare_pct,
        differs=(
            "truce reports real income (welfare), not GDP, from a static equilibrium with "
            "fixed factor supplies; tariff revenue is rebated and terms-of-trade gains count"
        ),
    ),
    Experiment(
        name="US-China goods trade at 145% / 125%",
        published=-81.0,
        unit="% change",
        citation=(
            "WTO Director-General N. Okonjo-Iweala, press conference on the Global Trade "
            "Outlook, 16 April 2025: US-China merchandise trade to fall by 81% (91% "
            "without the electronics exemptions)"
        ),
        scenario="us-china-2025-2026",
        world="default",
        date=datetime.date(2025, 4, 15),
        measure=us_china_goods_trade_pct,
        differs=(
            "the WTO's figure comes from its own global trade model with its own "
            "elasticities and exemptions"
        ),
    ),
    Experiment(
        name="Average US tariff on Chinese goods, 24 August 2026",
        published=27.2,
        unit="%",
        citation=(
            "The Budget Lab at Yale, tariff-rate tracker, vintage of 24 August 2026 "
            "(facts file us-china-2026.md, S280; secondary: a model's data file): average "
            "US effective tariff on Chinese goods 27.2% before trade substitution (24.7% "
            "after)"
        ),
        scenario="us-china-2025-2026",
        world="default",
        date=datetime.date(2026, 8, 24),
        measure=us_average_tariff_on_china_pct,
        differs=(
            "both are trade-weighted averages before substitution; truce weights by 2022 "
            "ICIO flows and assumes each product layer's share of its sector, the Budget "
            "Lab by HTS lines and recent import values; the elasticities do not enter"
        ),
    ),
    Experiment(
        name="US GDP after an 80% cut in rare-earth supply",
        published=-1.5,
        unit="% of GDP",
        citation=(
            "Bogmans, C., M. Jerez-Osses, J. Miranda-Pinto and J.-M. Natal (2026), "
            "'Macroeconomic Effects of Rare Earths Supply Chain Disruptions', IMF Working "
            "Paper 2026/073 (abstract): an 80% cut in rare-earth supply lowers GDP by 1.5% "
            "in the US (1.8% in Japan, 1.2% in Germany) under short-run (low) elasticities "
            "of substitution, and by a negligible amount under long-run ones. Other "
            "estimates of the same order: the ECB (Occasional Paper, 2026, as summarised "
            "by others) puts a stringent partial restriction at -0.3% to -0.6% of US output "
            "and a near-total ban with very low substitutability at about -2%"
        ),
        scenario="rare-earth-cut-80",
        world="default",
        measure=us_welfare_pct,
        differs=(
            "the IMF cuts world supply in small-open-economy models with production "
            "networks and reports GDP; truce cuts China's exports by 80% (China's own users "
            "keep theirs), holds output elsewhere within 10% of its base, and reports real "
            "income with sigma = 0.1 (Atalay's short-run benchmark); the answer rests above "
            "all on sigma: `truce run rare-earth-cut-80 --sigma 0.3` gives a twentieth of it, "
            "and the trade elasticities (the range column) matter far less"
        ),
    ),
    Experiment(
        name="US welfare, Liberation Day tariffs (case 1)",
        published=1.13,
        unit="%",
        citation=(
            "Ignatenko, A., A. Lashkaripour, L. Macedoni and I. Simonovska (2025), 'Making "
            "America Great Again? The Economic Impacts of Liberation Day Tariffs', Table 1"
        ),
        scenario="ld-case1",
        world="baci2023",
        measure=us_welfare_pct,
        differs="the same model and data (reproduced to its printed digits)",
    ),
    Experiment(
        name="US welfare from NAFTA's tariff cuts",
        published=0.08,
        unit="%",
        citation=(
            "Caliendo, L. and F. Parro (2015), 'Estimates of the Trade and Welfare Effects "
            "of NAFTA', Review of Economic Studies 82(1): 1-44, Table 2"
        ),
        scenario="cp2015-nafta",
        world="cp2015",
        measure=us_welfare_terms_pct,
        differs=(
            "the same model and data (reproduced to its printed digits); the table prints "
            "the sum of the terms-of-trade and volume-of-trade effects, which truce "
            "compares here, while its exact real-income change is a little smaller"
        ),
    ),
)

#: The source beside the world's own: the model's paper's elasticities.
PAPER_SOURCE = "cp"


def _run(world: truce.World, experiment: Experiment, elasticities: str | None):
    return truce.run(
        world,
        truce.load_scenario(experiment.scenario),
        date=experiment.date,
        elasticities=elasticities,
    )


def _range(world: truce.World, experiment: Experiment) -> tuple[float, float] | None:
    """The least and greatest of truce's number over the world's elasticity sources."""
    sources = elasticity_sources(world)
    if not sources:
        return None
    # One run per source (not elasticities="all"): a measure may need a source's whole
    # trade table, and "all" reports only each source's region fields.
    values = [experiment.measure(_run(world, experiment, s), world) for s in sources]
    return min(values), max(values)


#: Own elasticities above this are named, with their weight in the result.
HIGH_THETA = 20.0


def _high_theta_share(world: truce.World, experiment: Experiment, own: float) -> str:
    """For each sector elasticity of ``world`` above :data:`HIGH_THETA`: how much of
    truce's number ``own`` goes when that sector alone takes the per-sector median's
    value."""
    table = world.elasticities
    if table is None or "median" not in set(table["source"]):
        return ""
    median = table[table["source"] == "median"].set_index("sector")["theta"]
    notes = []
    for row in world.sectors.itertuples(index=False):
        if row.theta <= HIGH_THETA:
            continue
        sectors = world.sectors.copy()
        sectors.loc[sectors["sector"] == row.sector, "theta"] = median[row.sector]
        swapped = check_world(
            replace(world, sectors=sectors, theta_se=None, theta_source=None, theta_se_source=None)
        )
        value = experiment.measure(_run(swapped, experiment, None), swapped)
        notes.append(
            f"setting {row.sector} alone from {row.theta:g} to the median's "
            f"{median[row.sector]:.3g} takes {100 * (1 - value / own):.0f}% of it away"
        )
    return "; ".join(notes)


def _within_two(truce_value: float, published: float) -> bool:
    return np.sign(truce_value) == np.sign(published) and 0.5 <= truce_value / published <= 2.0


def rows() -> pd.DataFrame:
    """Each experiment's published number, truce's (own elasticities, the paper's,
    range)."""
    out = []
    for experiment in EXPERIMENTS:
        world = truce.load_world(experiment.world)
        own = experiment.measure(_run(world, experiment, None), world)
        sources = elasticity_sources(world)
        paper = (
            experiment.measure(_run(world, experiment, PAPER_SOURCE), world)
            if PAPER_SOURCE in sources and world.theta_source != PAPER_SOURCE
            else None
        )
        paper_world = with_source(world, PAPER_SOURCE) if paper is not None else world
        spread = _range(world, experiment)
        out.append(
            {
                "experiment": experiment.name,
                "unit": experiment.unit,
                "published": experiment.published,
                "own_source": world.theta_source or "the world's",
                "truce": own,
                "truce_paper": paper,
                "low": None if spread is None else spread[0],
                "high": None if spread is None else spread[1],
                "within_2x": _within_two(own, experiment.published),
                "paper_within_2x": None
                if paper is None
                else _within_two(paper, experiment.published),
                "citation": experiment.citation,
                "differs": experiment.differs,
                "high_theta": _high_theta_share(paper_world, experiment, paper)
                if paper is not None and not _within_two(paper, experiment.published)
                else "",
                "scenario": experiment.scenario
                + (f" on {experiment.date}" if experiment.date else ""),
                "world": experiment.world,
            }
        )
    return pd.DataFrame(out)


def _cell(value: float | None) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:+.3g}"


def markdown(table: pd.DataFrame) -> str:
    lines = [
        "# Validation: truce beside published estimates",
        "",
        "Generated by `scripts/validation.py` (run it again after changing a world, a "
        "scenario or a model). Each experiment is a built-in scenario on a built-in world, "
        "solved with the world's own elasticities (`truce`: on `default` the per-sector "
        "median of eight published sources, see README.md, 'Which elasticities'), with "
        "Caliendo and Parro's (`cp`, the model's own paper's), and under every source of "
        "the world's `elasticities` table (`range`). *Within 2×* means the same sign and "
        "a ratio between ½ and 2.",
        "",
        "| experiment | published | truce | cp | range across sources | within 2× "
        "(truce / cp) | scenario |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples(index=False):
        if row.low is None or pd.isna(row.low):
            spread = "–"
        elif _cell(row.low) == _cell(row.high):
            spread = f"{_cell(row.low)} (no elasticity enters)"
        else:
            spread = f"{_cell(row.low)} to {_cell(row.high)}"
        paper_ok = "–" if row.paper_within_2x is None else ("yes" if row.paper_within_2x else "no")
        lines.append(
            f"| {row.experiment} ({row.unit}) | {_cell(row.published)} | {_cell(row.truce)} "
            f"({row.own_source}) | {_cell(row.truce_paper)} | {spread} | "
            f"{'yes' if row.within_2x else 'no'} / {paper_ok} | `{row.scenario}` on "
            f"`{row.world}` |"
        )
    lines += ["", "## Sources and what differs", ""]
    for row in table.itertuples(index=False):
        verdict = ""
        if not row.within_2x:
            verdict += (
                f" With the world's own elasticities ({row.own_source}) truce is "
                f"{row.truce / row.published:.1f}× the published figure."
            )
        if row.paper_within_2x is False:
            verdict += (
                f" With Caliendo and Parro's it is {row.truce_paper / row.published:.1f}×"
                + (f": {row.high_theta}" if row.high_theta else "")
                + "."
            )
        lines.append(
            f"- **{row.experiment}.** {row.citation}. What differs: {row.differs}.{verdict}"
        )
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "validation.md")
    args = parser.parse_args()
    table = rows()
    write_text(args.out, markdown(table), "the validation page")
    print(table.drop(columns=["citation", "differs", "high_theta"]).to_string())


if __name__ == "__main__":
    main()
