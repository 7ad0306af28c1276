"""The product catalogue: the products the scenario library names, as shares of sectors.

A scenario measure may name a ``product`` (docs/scenarios.md); :func:`truce.api.run` then
splits the world with the catalogue's entries for that name (:func:`products_for`)
before calibrating it, so the measure reaches the sub-sector ``SECTOR.PRODUCT``.  One
name may have an entry per parent sector (``rare_earths`` sits in metal-ore mining and
in non-ferrous metals).

The shares are written for the built-in ``default`` world (OECD ICIO 2022, 14 regions:
USA CHN EU27 JPN KOR TWN VNM MEX CAN IND BRA GBR ASEAN ROW).  On another world the
region-specific entries apply where its codes match and the default share elsewhere;
an entry whose parent sector the world lacks is skipped.

Every share carries its source in :attr:`Product.source`.  Keys such as [S102] are those
of the project's facts file on US–China trade measures (its source list gives title and
address); a share the sources do not give is labelled an assumption, with its reasoning.
Flows quoted from the ``default`` world are at basic prices in US$ million of 2022.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from truce.data.products import CriticalInput, Product
from truce.data.world import World

# --- Soybeans inside crops and animal production (A01) ------------------------------

#: US soybean exports to China in calendar 2022, US$ million (USDA FAS) [S102, S103].
US_SOYBEAN_EXPORTS_TO_CHINA_2022 = 17_900.0
#: The default world's A01 flow from the USA to China, US$ million (2022).
DEFAULT_A01_USA_CHN = 21_267.1

SOYBEANS = Product(
    code="soybeans",
    sector="A01",
    name="Soybeans",
    default_share=0.03,
    shares={
        # 17,900 / 21,267.1 = 0.8417 (computed, see the source text).
        ("USA", "CHN"): round(US_SOYBEAN_EXPORTS_TO_CHINA_2022 / DEFAULT_A01_USA_CHN, 4),
        ("BRA", "CHN"): 0.88,
        ("BRA", "EU27"): 0.14,
        ("USA", "ASEAN"): 0.17,
        ("USA", "VNM"): 0.17,
        ("USA", "EU27"): 0.14,
        ("USA", "JPN"): 0.07,
        ("USA", "KOR"): 0.07,
        ("USA", "TWN"): 0.07,
        ("USA", "USA"): 0.05,
        ("USA", "*"): 0.10,
        ("CHN", "CHN"): 0.005,
    },
    source=(
        "Soybeans in A01. USA->CHN: US soybean exports to China of US$ 17.9 bn in calendar "
        "2022 (USDA FAS) [S102, S103] over the default world's A01 USA->CHN flow of US$ "
        "21,267 million: 17,900 / 21,267 = 0.8417, so the sub-sector's baseline equals the "
        "USDA value, so floors stated in USDA values are in the world's units. (The same "
        "FAS list puts corn, cotton and coarse grains at US$ 10.0 bn, more than the US$ "
        "3.4 bn this leaves for the rest of the cell: FAS values are export (FOB) values, "
        "the ICIO's basic prices are lower by the domestic trade and transport margins, so "
        "this split leans towards soybeans; 17.9 / (17.9 + 10.0) = 0.64 is the other "
        "reading.) BRA->CHN 0.88: soybeans were US$ 20.3 bn, nearly 88% of "
        "Brazil's agricultural exports to China, in 2017 (USDA ERS) [S99]; agricultural "
        "exports include processed food (sector C10T12), so soybeans' share of the "
        "unprocessed A01 cell is at least this; 0.88 is used. BRA->EU27 0.14, USA->ASEAN "
        "and USA->VNM 0.17, USA->EU27 0.14, USA->JPN/KOR/TWN 0.07: soybeans' shares of the "
        "two exporters' agricultural exports to those destinations in 2017 [S99] (Southeast "
        "Asia 17%, EU 14%, other East Asia 7%), again lower bounds for A01. Assumptions, "
        "not sourced: USA->other destinations 0.10 (the 2017 Middle East and North Africa "
        "share of 10% [S99] taken for the rest); USA domestic sales 0.05, China's domestic "
        "sales 0.005 (China imports most of the soybeans it uses: 111.83 Mt in 2025 "
        "[S115]) and every other cell 0.03 (soybeans as a few per cent of a region's crop "
        "and animal output); these only size the sub-sector outside the US-China cell."
    ),
)

# --- Critical inputs: substitution in production and sourcing ------------------------

#: The elasticity of substitution between a critical input and the rest of a user's
#: costs, and its reasoning (docs/models/caliendo-parro.md, "Critical inputs").
CRITICAL_SIGMA = 0.1

CRITICAL = CriticalInput(
    sigma=CRITICAL_SIGMA,
    sigma_se=0.2,
    source=(
        "sigma 0.1, a short-run value (months to a year): Atalay (2017, 'How Important Are "
        "Sectoral Shocks?', AEJ: Macroeconomics 9(4)) estimates the elasticity of "
        "substitution among intermediate inputs of US industries at close to zero and takes "
        "0.1 as his benchmark, his instrumented estimates having standard errors of about "
        "0.2 (as quoted by others; the standard error elasticity draws give sigma); "
        "Boehm, Flaaen and Pandalai-Nayar (2019, 'Input Linkages and "
        "the Transmission of Shocks', REStat 101(1)) find that US affiliates of Japanese "
        "firms cut output roughly one for one with their imported inputs after the 2011 "
        "Tohoku earthquake (close to Leontief). Substitution is larger over years "
        "(Peter and Ruane, NBER w31233, estimate 2.5 over seven years among materials), so "
        "the answer to a lasting control lies between this value and 1; the sweep "
        "critical-sigma shows how much it matters."
    ),
)

#: The trade elasticity across origins of a critical product, and its reasoning.
CRITICAL_THETA = 2.0
CRITICAL_THETA_SOURCE = (
    "Assumption: 2, about half of the parent sectors' (4.1-4.8 under the median of "
    "published estimates): other suppliers of separated rare earths, magnets and advanced "
    "chips need years to qualify and to build capacity (China refines 92% of rare earths "
    "and makes about 94% of magnets) [S118, S52], so sourcing shifts between origins less "
    "than for their sectors as a whole."
)

# --- Rare earths inside metal ores (B07) and non-ferrous metals (C24B) -------------

#: The default world's output (all buyers, domestic included) of the parents of the
#: critical products, US$ million (2022): China's, and every other region's together.
DEFAULT_OUTPUT = {
    ("B07", "CHN"): 237_187.0,
    ("B07", "rest"): 746_385.0,
    ("C24B", "CHN"): 903_335.0,
    ("C24B", "CHN exports"): 41_848.0,
    ("C24B", "rest"): 1_035_308.0,
    ("C27", "CHN"): 1_201_187.0,
    ("C27", "rest"): 1_273_134.0,
}

#: China's shares of world supply the rest-of-world shares are computed from.
CHINA_SHARE_OF_MINING = 0.69  # 270,000 of 390,000 t REO in 2024, USGS [S116]
CHINA_SHARE_OF_REFINING = 0.92  # 2023, IEA [S118]
CHINA_SHARE_OF_MAGNETS = 0.94  # about 94% of magnet production, secondary [S52]


def rest_of_world_share(china_output: float, china_share: float, rest_output: float) -> float:
    """The share of every non-Chinese parent cell that makes China ``china_share`` of
    the world's output of the product, China's own output being ``china_output``."""
    return round(china_output * (1.0 - china_share) / china_share / rest_output, 6)


_RARE_EARTH_REASONING = (
    "China mined about 69% of the world's rare-earth oxide in 2024 (270,000 of 390,000 "
    "t, USGS) [S116] and refined 92% of it in 2023 (IEA) [S118]; it supplied 70-77% of "
    "US rare-earth imports, and US net import reliance was about 80% in 2024 [S120, "
    "S121]. The sources give tonnes, not values; the shares are assumptions of order of "
    "magnitude: world mine output of a few hundred thousand tonnes of oxide, at an "
    "assumed tens of US$ per kg, is a few US$ bn a year, under 1% of the default world's "
    "metal-ore (B07) output of about US$ 984 bn and a smaller part still of non-ferrous "
    "metals (C24B, about US$ 1,939 bn); China's cells get larger shares because the "
    "trade in separated and refined rare earths is mostly China's."
)

RARE_EARTHS_ORE = Product(
    code="rare_earths",
    sector="B07",
    name="Rare-earth ores and concentrates",
    default_share=rest_of_world_share(
        0.02 * DEFAULT_OUTPUT["B07", "CHN"], CHINA_SHARE_OF_MINING, DEFAULT_OUTPUT["B07", "rest"]
    ),
    shares={("CHN", "*"): 0.02},
    source=(
        "Rare earths in B07 (ores and concentrates). Assumption: 2% of China's B07 cells "
        "(about US$ 4.7 bn of its US$ 237 bn output). Every other cell: computed so that "
        "China mines 69% of the product [S116]: 4,744 x 31/69 / 746,385 = 0.29%. "
        + _RARE_EARTH_REASONING
    ),
    theta=CRITICAL_THETA,
    theta_source=CRITICAL_THETA_SOURCE,
    critical=CRITICAL,
)

RARE_EARTHS_METALS = Product(
    code="rare_earths",
    sector="C24B",
    name="Rare-earth metals, oxides and alloys",
    default_share=rest_of_world_share(
        0.05 * DEFAULT_OUTPUT["C24B", "CHN exports"]
        + 0.004 * (DEFAULT_OUTPUT["C24B", "CHN"] - DEFAULT_OUTPUT["C24B", "CHN exports"]),
        CHINA_SHARE_OF_REFINING,
        DEFAULT_OUTPUT["C24B", "rest"],
    ),
    shares={("CHN", "CHN"): 0.004, ("CHN", "*"): 0.05},
    source=(
        "Rare earths in C24B (separated oxides, metals and alloys; trade statistics "
        "class part of these as chemicals, C20, a difference the assumed shares absorb). "
        "Assumptions: 5% of China's C24B exports (about US$ 2.1 bn of its US$ 42 bn) and "
        "0.4% of its domestic sales (US$ 3.4 bn), so that China's output, US$ 5.5 bn, is "
        "near a world market of a few US$ bn. Every other cell: computed so that China "
        "refines 92% of the product [S118]: 5,538 x 8/92 / 1,035,308 = 0.047%. "
        + _RARE_EARTH_REASONING
    ),
    theta=CRITICAL_THETA,
    theta_source=CRITICAL_THETA_SOURCE,
    critical=CRITICAL,
)

# --- Rare-earth permanent magnets inside electrical equipment (C27) -----------------

MAGNETS = Product(
    code="magnets",
    sector="C27",
    name="Rare-earth permanent magnets",
    default_share=rest_of_world_share(
        0.01 * DEFAULT_OUTPUT["C27", "CHN"], CHINA_SHARE_OF_MAGNETS, DEFAULT_OUTPUT["C27", "rest"]
    ),
    shares={("CHN", "*"): 0.01},
    source=(
        "Rare-earth permanent magnets in C27 (electrical equipment). China made about 94% "
        "of the world's magnets (secondary source) [S52], and China's controls of April and "
        "October 2025 cover magnets containing the listed elements [S31, S32]. "
        "Assumption: 1% of China's C27 cells (exports about US$ 3.2 bn of its US$ 323 bn, "
        "near the US$ 2.86 bn of magnets China exported in 2024 by an industry count, "
        "secondary; magnets are a small specialised part of a sector that holds motors, "
        "batteries, wiring and appliances). Every other cell: computed so that China makes "
        "94% of the product [S52]: 12,012 x 6/94 / 1,273,134 = 0.060%."
    ),
    theta=CRITICAL_THETA,
    theta_source=CRITICAL_THETA_SOURCE,
    critical=CRITICAL,
)

# --- Advanced chips inside computers and electronics (C26) ---------------------------

#: US exports of semiconductors and components to China in 2023, US$ million [S104].
US_CHIP_EXPORTS_TO_CHINA_2023 = 6_800.0
#: The default world's C26 flow from the USA to China, US$ million (2022).
DEFAULT_C26_USA_CHN = 19_122.2

CHIPS = Product(
    code="chips",
    sector="C26",
    name="Advanced semiconductors",
    default_share=0.05,
    shares={
        ("USA", "CHN"): round(US_CHIP_EXPORTS_TO_CHINA_2023 / DEFAULT_C26_USA_CHN, 4),
        ("TWN", "*"): 0.3,
        ("KOR", "*"): 0.2,
    },
    source=(
        "Advanced semiconductors in C26, the chips whose exports to China the US controls. "
        "USA->CHN: US exports of semiconductors and components to China of US$ 6.8 bn in "
        "2023 (USCBC definition) [S104] over the default world's C26 USA->CHN flow of US$ "
        "19,122 million (2022): 6,800 / 19,122 = 0.3556 (a wider definition gives US$ 15.3 "
        "bn in 2024 [S93], secondary). Assumptions, not sourced: 30% of Taiwan's and 20% of "
        "Korea's C26 sales (foundry and memory output at the leading edge) and 5% of every "
        "other cell. When laptops are split too, the shares apply to the C26 cells left "
        "after laptops."
    ),
    theta=CRITICAL_THETA,
    theta_source=CRITICAL_THETA_SOURCE,
    critical=CRITICAL,
)

# --- Critical software inside services (SVC) ----------------------------------------

CRITICAL_SOFTWARE = Product(
    code="critical_software",
    sector="SVC",
    name="Critical software",
    default_share=0.01,
    shares={("USA", "CHN"): 0.03},
    source=(
        "Critical software in SVC: what the US threatened on 10 October 2025 to control "
        "from 1 November ('any and all critical software') [S28]; never defined or "
        "implemented. Assumptions: 3% of US services sold to China (about US$ 2.8 bn of "
        "the default world's US$ 94.7 bn; the flow is mostly travel and education, "
        "transport, finance and royalties, and software licences and computer services "
        "are a modest part of it, the 'critical' software a part of those) and 1% of "
        "every other services cell, which only sizes the sub-sector."
    ),
)

# --- Software-powered goods: laptops (C26) and jet engines (C302T309) ------------------

LAPTOPS = Product(
    code="laptops",
    sector="C26",
    name="Laptops and other portable computers",
    default_share=0.02,
    shares={("CHN", "*"): 0.33, ("USA", "CHN"): 0.03},
    source=(
        "Laptops in C26 (computers and electronics), the software-powered goods the "
        "project brief reads into the threatened controls on 'critical software' [S28]. "
        "CHN->*: computers were US$ 35.5 bn of US imports from China in 2024 [S108], a third "
        "of the default world's C26 flow from China (US$ 108.2 bn, 2022), taken for China's "
        "other destinations too. Assumptions: 3% of US C26 sales to China (the US exports "
        "chips, equipment and instruments to China, few finished laptops) and 2% of every "
        "other cell, which only sizes the sub-sector."
    ),
)

JET_ENGINES = Product(
    code="jet_engines",
    sector="C302T309",
    name="Aircraft engines and parts",
    default_share=0.1,
    shares={("USA", "CHN"): 0.3},
    source=(
        "Aircraft engines and their parts in C302T309 (aircraft, ships, rail and other "
        "transport equipment), the other software-powered goods the project brief reads into "
        "the threatened controls on 'critical software' [S28]. Assumptions, not sourced: 30% "
        "of US C302T309 sales to China (US$ 5.5 bn in the default world, 2022, when few "
        "Boeing aircraft were delivered to China, so engines and parts for China's own and "
        "Western-built fleets weigh more than usual) and 10% of every other cell."
    ),
)

CATALOGUE: Mapping[str, tuple[Product, ...]] = MappingProxyType(
    {
        "soybeans": (SOYBEANS,),
        "rare_earths": (RARE_EARTHS_ORE, RARE_EARTHS_METALS),
        "magnets": (MAGNETS,),
        "critical_software": (CRITICAL_SOFTWARE,),
        "laptops": (LAPTOPS,),
        "jet_engines": (JET_ENGINES,),
        "chips": (CHIPS,),
    }
)
"""Every product of the catalogue by name: its entries, one per parent sector."""


def products_for(world: World, names: Iterable[str]) -> tuple[Product, ...]:
    """The catalogue entries for ``names`` whose parent sector ``world`` has.

    Names come out in catalogue order, whatever their order in ``names``; a name the
    catalogue does not have raises :class:`KeyError` (callers turn it into an error
    that points at the measure naming it).
    """
    wanted = set(names)
    unknown = wanted - set(CATALOGUE)
    if unknown:
        raise KeyError(sorted(unknown)[0])
    sectors = set(world.sectors["sector"])
    return tuple(
        product
        for name, entries in CATALOGUE.items()
        if name in wanted
        for product in entries
        if product.sector in sectors
    )
