"""The WIOD 2014 data of the tariffwar package (44 economies × 16 sectors) as a world.

The package (A. Lashkaripour, github.com/ahmadlp/tariffwar, ``mat/WIOD2014.mat``)
computes tariff wars on World Input-Output Database flows of 2014 with applied tariffs
of 2014 (Teti's Global Tariff Database) and no input-output links.  Its flows are read
as it reads them: gross of tariffs, so a cell's value at world prices is the flow over
one plus its tariff; each sector's gross output is then its value added (the model
sees no intermediate inputs), and final-demand shares are the absorption shares.  Trade
is not balanced (the package closes the deficits before its games; truce's
``--deficits zero`` does the same).  The elasticities of the eight sources the package
maps to these sectors are the world's ``elasticities`` table; ``sectors.theta`` holds
the package's in-sample estimates (``is``), its default.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from truce.data.sources.icio2022 import ELASTICITY_SOURCES
from truce.data.world import World
from truce.errors import WorldError

#: Sector codes: the 15 goods sectors in the package's order, then services.
SECTOR_CODES = (*(f"W{k:02d}" for k in range(1, 16)), "SVC")

WIOD2014_SOURCES = (
    "World Input-Output Database, 2016 release, WIOT 2014 (Timmer et al. 2015, Review of "
    "International Economics), as aggregated to 16 sectors by A. Lashkaripour's tariffwar "
    "package (github.com/ahmadlp/tariffwar, mat/WIOD2014.mat)",
    "Teti, F. (2024), Global Tariff Database: applied tariffs, 2014, as mapped to the 16 "
    "sectors by the tariffwar package (simple averages)",
    "Lashkaripour, A. (2021), 'The cost of a global tariff war: a sufficient statistics "
    "approach', Journal of International Economics 131: 103419 (trade elasticities 'is', "
    "as mapped to the 16 sectors by the tariffwar package)",
    *(
        f"{paper} (trade elasticities '{name}', as mapped to the 16 sectors by the tariffwar "
        "package)"
        for name, (_, paper) in ELASTICITY_SOURCES.items()
        if name != "is"
    ),
)


def wiod2014_world(folder: Path) -> World:
    """The ``wiod2014`` world from the data set folder ``wiod2014_tariffwar``."""
    data_file = folder / "wiod2014_flows_tariffs.npz"
    table_file = folder / "sectors_elasticities.csv"
    for needed in (data_file, table_file):
        if not needed.is_file():
            raise WorldError(f"{needed}: missing from the wiod2014 data set")
    with np.load(data_file) as data:
        flows_ins = np.asarray(data["flows_musd"], dtype=np.float64)  # exporter, importer
        tariff_ins = np.asarray(data["tariff"], dtype=np.float64)
        regions = [str(c) for c in data["countries"]]
        labels = [str(s) for s in data["sectors"]]
    elasticities = pd.read_csv(table_file)
    if flows_ins.shape != (len(regions), len(regions), len(SECTOR_CODES)):
        raise WorldError(f"{data_file}: flows of shape {flows_ins.shape}, expected 44 × 44 × 16")
    at_world_prices = flows_ins / (1.0 + tariff_ins)
    i, n, s = np.nonzero(at_world_prices)
    trade = pd.DataFrame(
        {
            "exporter": [regions[k] for k in i],
            "importer": [regions[k] for k in n],
            "sector": [SECTOR_CODES[k] for k in s],
            "value": at_world_prices[i, n, s],
            "tariff": tariff_ins[i, n, s],
        }
    )
    gross_is = at_world_prices.sum(axis=1)  # [exporter, sector]
    value_added = pd.DataFrame(
        {
            "region": np.repeat(regions, len(SECTOR_CODES)),
            "sector": np.tile(SECTOR_CODES, len(regions)),
            "value": gross_is.ravel(),
        }
    )
    table = pd.DataFrame(
        [
            {"source": name, "sector": code, "theta": float(row[column])}
            for name, (column, _) in ELASTICITY_SOURCES.items()
            for code, (_, row) in zip(SECTOR_CODES, elasticities.iterrows(), strict=True)
        ]
    )
    names = {"ROW": "Rest of the world"}
    return World(
        name="wiod2014",
        year=2014,
        currency="USD million",
        description=(
            "The world economy of 2014 as in A. Lashkaripour's tariffwar package: World "
            "Input-Output Database flows (2016 release) of 43 countries and the rest of "
            "the world in 15 goods sectors and one services aggregate, with the applied "
            "tariffs of 2014. Flows are read as gross of tariffs, as the package reads "
            "them; there are no input-output links, so gross output is value added. Trade "
            "is not balanced: the package's games close the deficits first (--deficits "
            "zero). Elasticities: the package's in-sample estimates (is) unless another "
            "source is chosen."
        ),
        sources=WIOD2014_SOURCES,
        regions=pd.DataFrame({"region": regions, "name": [names.get(r, r) for r in regions]}),
        sectors=pd.DataFrame(
            {
                "sector": list(SECTOR_CODES),
                "name": labels,
                "theta": table[table["source"] == "is"]["theta"].to_numpy(),
            }
        ),
        trade=trade,
        value_added=value_added,
        elasticities=table,
        theta_source="is",
        tariffs="applied in 2014 (Teti's Global Tariff Database, as the package maps them)",
    )
